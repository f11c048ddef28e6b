"""Driving SpiffWorkflow: parsed-spec cache, compact state codec, the runner."""
