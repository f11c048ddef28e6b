"""WSGI entry for gunicorn: `gunicorn api.wsgi:app`."""
from engine.heap import settle

from .app import create_app

app = create_app()
settle()  # start-up is done: what it made is left alone by the collector (engine.heap)
