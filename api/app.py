"""The Flask application factory: HTTP in front of the engine, nothing more."""

from __future__ import annotations

from datetime import date, datetime

import orjson
from flask import Flask
from flask.json.provider import JSONProvider

from . import errors
from .errors import ProblemApi
from .pages import init_pages
from .routes import cases, clock, matters, metrics, organisation, requests, staff, tasks


class OrjsonProvider(JSONProvider):
    """Fast JSON with ISO 8601 timestamps (Flask's default writes RFC 822)."""

    def dumps(self, obj, **kwargs) -> str:
        return orjson.dumps(obj, default=_default).decode()

    def loads(self, s, **kwargs):
        return orjson.loads(s)


def _default(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def create_app(runtime) -> Flask:
    """The app in front of `runtime` (engine.runtime.Runtime: the services' `rt`)."""
    app = Flask(__name__)
    app.json = OrjsonProvider(app)
    app.extensions["onething"] = runtime
    app.config.update(
        API_TITLE="onething",
        API_VERSION="1.0",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        MAX_CONTENT_LENGTH=25 * 1024 * 1024,
        JSON_SORT_KEYS=False,
    )
    api = ProblemApi(
        app,
        spec_kwargs={
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}}
        },
    )
    for module in (matters, cases, staff, tasks, organisation, requests, clock, metrics):
        api.register_blueprint(module.blp)
    metrics.init_prometheus(app, runtime)
    errors.register(app)
    init_pages(app)
    return app
