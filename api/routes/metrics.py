"""Metrics for supervisors and analysts."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from engine.metrics import metrics

from ..context import staff_unit
from ..schemas import MetricsArgsSchema, ProblemSchema

blp = Blueprint("metrics", __name__, url_prefix="/api/metrics",
                description="On-time rate, yellow/red cards, ratings")


@blp.route("")
class Metrics(MethodView):
    @blp.arguments(MetricsArgsSchema, location="query")
    @blp.response(200)
    @blp.alt_response(401, schema=ProblemSchema)
    @blp.alt_response(422, schema=ProblemSchema)
    def get(self, args):
        """Figures per matter and per department, for cases submitted in [from, to)."""
        with staff_unit() as (uow, actor):
            return metrics(uow, actor, args.get("matter"), args.get("department"),
                           args.get("from_"), args.get("to"))
