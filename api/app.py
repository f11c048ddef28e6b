"""The Flask application factory: HTTP in front of the engine, nothing more."""
from __future__ import annotations

from datetime import date, datetime

import orjson
from flask import Flask
from flask.json.provider import JSONProvider

from engine.config import load_settings
from engine.runtime import Runtime

from . import errors
from .context import close_request_uow
from .errors import ProblemApi
from .pages import init_pages
from .routes import cases, clock, matters, metrics, staff, tasks


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


def create_app(runtime: Runtime | None = None) -> Flask:
    app = Flask(__name__)
    app.json = OrjsonProvider(app)
    runtime = runtime or Runtime(load_settings())
    app.extensions["onething"] = runtime
    app.config.update(
        API_TITLE="onething", API_VERSION="1.0", OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api", OPENAPI_JSON_PATH="openapi.json",
        MAX_CONTENT_LENGTH=25 * 1024 * 1024, JSON_SORT_KEYS=False,
    )
    api = ProblemApi(app, spec_kwargs={"components": {"securitySchemes": {
        "bearer": {"type": "http", "scheme": "bearer"}}}})
    for module in (matters, cases, staff, tasks, clock, metrics):
        api.register_blueprint(module.blp)
    metrics.init_prometheus(app, runtime)
    errors.register(app)
    init_pages(app)
    app.teardown_appcontext(close_request_uow)
    return app
