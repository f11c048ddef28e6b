"""WSGI entry for gunicorn: `gunicorn api.wsgi:app`. A process's composition root:
the engine's runtime is built here and handed to the app."""

from engine.config import load_settings
from engine.runtime import Runtime

from .app import create_app

runtime = Runtime(load_settings())
app = create_app(runtime)
runtime.settle()  # start-up is done: what it made is left alone by the collector
