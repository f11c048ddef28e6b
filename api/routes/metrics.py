"""Metrics: the service figures for supervisors and analysts (`/api/metrics`), and
the operators' Prometheus endpoint (`/metrics`)."""
from __future__ import annotations

import time

from flask import Response, g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest

from engine.metrics import metrics
from engine.monitoring import EngineCollector

from ..context import staff_unit
from ..schemas import MetricsArgsSchema, ProblemSchema

blp = Blueprint("metrics", __name__, url_prefix="/api/metrics",
                description="On-time rate, yellow/red cards, ratings")


@blp.route("")
class Metrics(MethodView):
    @blp.arguments(MetricsArgsSchema(), location="query")
    @blp.response(200)
    @blp.alt_response(401, schema=ProblemSchema)
    @blp.alt_response(422, schema=ProblemSchema)
    def get(self, args):
        """Figures per matter and per department, for cases submitted in [from, to)."""
        with staff_unit() as (uow, actor):
            return metrics(uow, actor, args.get("matter"), args.get("department"),
                           args.get("from_"), args.get("to"))


def init_prometheus(app, runtime) -> None:
    """`GET /metrics`: timers, queue and request latency, in Prometheus' text format.

    Request latency is per process (each gunicorn worker reports its own);
    the timer and queue figures come from the shared database and Redis."""
    registry = CollectorRegistry()
    registry.register(EngineCollector(runtime))
    latency = Histogram("onething_request_seconds", "HTTP request latency",
                        ["method", "endpoint", "status"], registry=registry)

    @app.before_request
    def _started():
        g.onething_started = time.perf_counter()

    @app.after_request
    def _observed(response):
        started = g.pop("onething_started", None)
        if started is not None:
            latency.labels(request.method, request.url_rule.rule if request.url_rule else "-",
                           str(response.status_code)).observe(time.perf_counter() - started)
        return response

    def prometheus_metrics():
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)

    app.add_url_rule("/metrics", "prometheus_metrics", prometheus_metrics)
