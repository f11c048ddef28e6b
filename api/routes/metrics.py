"""Metrics: the service figures for supervisors and analysts (`/api/metrics`), and
the operators' Prometheus endpoint (`/metrics`)."""

from __future__ import annotations

import time

from flask import Response, g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily

from engine.services import metrics as service_figures
from engine.services.monitoring import timer_figures

from ..context import bearer_token, runtime
from ..schemas import MetricsArgsSchema, ProblemSchema

LAG_BUCKETS = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0)

blp = Blueprint(
    "metrics",
    __name__,
    url_prefix="/api/metrics",
    description="On-time rate, yellow/red cards, ratings",
)


@blp.route("")
class Metrics(MethodView):
    @blp.arguments(MetricsArgsSchema(), location="query")
    @blp.response(200)
    @blp.alt_response(401, schema=ProblemSchema)
    @blp.alt_response(422, schema=ProblemSchema)
    def get(self, args):
        """Figures per matter and per department, for cases submitted in [from, to)."""
        return service_figures.service_metrics(
            runtime(),
            bearer_token(),
            args.get("matter"),
            args.get("department"),
            args.get("from_"),
            args.get("to"),
        )


class EngineCollector:
    """Prometheus' view of the engine's operator figures (engine.services.monitoring)."""

    def __init__(self, runtime):
        self.runtime = runtime

    def collect(self):
        figures = timer_figures(self.runtime)
        pending = GaugeMetricFamily(
            "onething_timers_pending", "Timers not yet fired nor cancelled", labels=["kind"]
        )
        for kind, count in figures["pending"].items():
            pending.add_metric([kind], count)
        yield pending
        yield GaugeMetricFamily(
            "onething_timers_overdue",
            "Pending timers more than 2 s past their due time",
            value=figures["overdue"],
        )
        lags = figures["lags"]
        buckets = [(str(bound), sum(1 for v in lags if v <= bound)) for bound in LAG_BUCKETS]
        buckets.append(("+Inf", len(lags)))
        yield HistogramMetricFamily(
            "onething_timer_lag_seconds",
            "fired_at - due_at of timers fired in the last 15 minutes",
            buckets=buckets,
            sum_value=sum(lags),
        )
        depth = GaugeMetricFamily(
            "onething_queue_depth", "Jobs waiting in the RQ queue", labels=["queue"]
        )
        name, count = figures["queue"]
        if count is not None:
            depth.add_metric([name], count)
        yield depth


def init_prometheus(app, runtime) -> None:
    """`GET /metrics`: timers, queue and request latency, in Prometheus' text format.

    Request latency is per process (each gunicorn worker reports its own);
    the timer and queue figures come from the shared database and Redis."""
    registry = CollectorRegistry()
    registry.register(EngineCollector(runtime))
    latency = Histogram(
        "onething_request_seconds",
        "HTTP request latency",
        ["method", "endpoint", "status"],
        registry=registry,
    )

    @app.before_request
    def _started():
        g.onething_started = time.perf_counter()

    @app.after_request
    def _observed(response):
        started = g.pop("onething_started", None)
        if started is not None:
            latency.labels(
                request.method,
                request.url_rule.rule if request.url_rule else "-",
                str(response.status_code),
            ).observe(time.perf_counter() - started)
        return response

    def prometheus_metrics():
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)

    app.add_url_rule("/metrics", "prometheus_metrics", prometheus_metrics)
