"""The calendar arithmetic, exposed."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from engine.services import calendar as calendar_service

from ..schemas import CalendarArgsSchema, DueSchema, ProblemSchema

blp = Blueprint(
    "calendar",
    __name__,
    url_prefix="/api/calendar",
    description="Working-day arithmetic (调休 included)",
)


@blp.route("/<calendar>/add")
class Add(MethodView):
    @blp.arguments(CalendarArgsSchema(), location="query")
    @blp.response(200, DueSchema)
    @blp.alt_response(404, schema=ProblemSchema, description="unknown calendar")
    @blp.alt_response(422, schema=ProblemSchema, description="bad parameters")
    def get(self, args, calendar):
        """`from` + workdays / workhours / days / hours / iso → due_at."""
        params = {k: v for k, v in request.args.items() if k != "from"}
        return calendar_service.add(calendar, args["from_"], params)
