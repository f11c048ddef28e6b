"""The deadline clock: working-day calendars and duration arithmetic (SPEC §4).

Import from `engine.domain.clock.calendar`; this package keeps no state of its own.
"""
