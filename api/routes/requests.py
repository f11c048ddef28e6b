"""Citizen requests to the 12345 line (接诉即办, SPEC §8): intake, answered at once,
duplicates, the caller's visit, categories, rankings and hot spots."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from engine.services import rankings, requests

from ..context import bearer_token, runtime
from ..schemas import CodeArgsSchema, ProblemSchema

blp = Blueprint(
    "requests",
    __name__,
    url_prefix="/api",
    description="接诉即办: citizen requests, rankings (三率) and hot spots",
)


class RequestInSchema(Schema):
    """A request: the engine checks every field and names each problem."""

    class Meta:
        unknown = "include"


class RequestReceiptSchema(Schema):
    case_no = fields.String()
    query_code = fields.String()
    status = fields.String()


class SearchArgsSchema(Schema):
    phone = fields.String()
    region = fields.String()
    open = fields.Boolean(load_default=True)


class AnswerSchema(Schema):
    reply = fields.String(required=True, validate=validate.Length(min=1, max=5000))


class LinkSchema(Schema):
    to = fields.String(required=True, validate=validate.Length(min=1, max=32))


class VisitSchema(Schema):
    contacted = fields.Boolean(required=True, truthy={True}, falsy={False})
    resolved = fields.Boolean(required=True, truthy={True}, falsy={False})
    satisfaction = fields.String(
        required=True, validate=validate.OneOf(["satisfied", "basically", "unsatisfied"])
    )


class RankingArgsSchema(Schema):
    kind = fields.String(load_default="request", validate=validate.OneOf(["request"]))
    level = fields.String(load_default="street")
    period = fields.String(required=True, metadata={"description": "2026-11, 2026-W47, 2026-Q4"})


class TrendArgsSchema(Schema):
    months = fields.Integer(load_default=12)
    unit = fields.String()


class HotspotArgsSchema(Schema):
    period = fields.String(required=True)
    by = fields.String(load_default="category")
    depth = fields.Integer(load_default=10)
    within = fields.String(metadata={"description": "drill down below a category or region"})


class CategoriesSchema(Schema):
    categories = fields.Raw(required=True)


def _token_if_any() -> str | None:
    return bearer_token() if request.headers.get("Authorization") else None


@blp.route("/requests")
class Requests(MethodView):
    @blp.arguments(RequestInSchema())
    @blp.response(201, RequestReceiptSchema)
    @blp.alt_response(403, schema=ProblemSchema, description="a token without the agent role")
    @blp.alt_response(422, schema=ProblemSchema, description="every problem of the request")
    def post(self, body):
        """A request: by an agent (token) on any channel, or by a caller on the web, app,
        WeChat or mini program without one; answered at once with its number and code."""
        return requests.submit(runtime(), _token_if_any(), body)

    @blp.arguments(SearchArgsSchema(), location="query")
    @blp.response(200)
    @blp.alt_response(401, schema=ProblemSchema)
    @blp.alt_response(422, schema=ProblemSchema)
    def get(self, args):
        """Candidates for a duplicate: requests by the caller's phone or the region."""
        return requests.candidates(
            runtime(), bearer_token(), args.get("phone"), args.get("region"), args["open"]
        )


@blp.route("/requests/<case_no>/answer")
class Answer(MethodView):
    @blp.arguments(AnswerSchema())
    @blp.response(200)
    @blp.alt_response(401, schema=ProblemSchema)
    @blp.alt_response(403, schema=ProblemSchema)
    @blp.alt_response(404, schema=ProblemSchema)
    @blp.alt_response(409, schema=ProblemSchema)
    @blp.alt_response(422, schema=ProblemSchema)
    def post(self, body, case_no):
        """直接答复: the agent closes a consultation on the spot."""
        return requests.answer(runtime(), bearer_token(), case_no, body["reply"])


@blp.route("/requests/<case_no>/link")
class Link(MethodView):
    @blp.arguments(LinkSchema())
    @blp.response(200)
    @blp.alt_response(401, schema=ProblemSchema)
    @blp.alt_response(404, schema=ProblemSchema)
    @blp.alt_response(422, schema=ProblemSchema, description="itself, closed, linked already")
    def post(self, body, case_no):
        """Join this request to an open one about the same matter (handled once)."""
        return requests.link(runtime(), bearer_token(), case_no, body["to"])


@blp.route("/requests/<case_no>/visit")
class CallerVisit(MethodView):
    @blp.arguments(CodeArgsSchema(), location="query")
    @blp.arguments(VisitSchema())
    @blp.response(200)
    @blp.alt_response(404, schema=ProblemSchema, description="unknown request or wrong code")
    @blp.alt_response(409, schema=ProblemSchema, description="not replied yet, or closed")
    def post(self, args, body, case_no):
        """回访 by the caller online: contacted, resolved, satisfaction."""
        return requests.caller_visit(runtime(), case_no, args["code"], body)


@blp.route("/requests/hotspots")
class Hotspots(MethodView):
    @blp.arguments(HotspotArgsSchema(), location="query")
    @blp.response(200)
    @blp.alt_response(401, schema=ProblemSchema)
    @blp.alt_response(422, schema=ProblemSchema)
    def get(self, args):
        """Hot spots by category or region, with 环比, 同比, persistent and rising."""
        return rankings.hotspots(
            runtime(), bearer_token(), args["period"], args["by"], args["depth"], args.get("within")
        )


@blp.route("/categories")
class Categories(MethodView):
    @blp.response(200)
    def get(self):
        """The category tree of requests (public)."""
        return requests.categories(runtime())

    @blp.arguments(CategoriesSchema())
    @blp.response(200)
    @blp.alt_response(401, schema=ProblemSchema)
    @blp.alt_response(403, schema=ProblemSchema)
    @blp.alt_response(422, schema=ProblemSchema)
    def put(self, body):
        """Replace the category tree (admins)."""
        return requests.put_categories(runtime(), bearer_token(), body["categories"])


@blp.route("/rankings")
class Rankings(MethodView):
    @blp.arguments(RankingArgsSchema(), location="query")
    @blp.response(200)
    @blp.alt_response(401, schema=ProblemSchema)
    @blp.alt_response(422, schema=ProblemSchema, description="a bad or future period, level")
    def get(self, args):
        """Units ranked on a period's three rates (响应率, 解决率, 满意率) and their
        composite, with the previous period's rank and the change."""
        return rankings.request_ranking(runtime(), bearer_token(), args["level"], args["period"])


@blp.route("/rankings/trend")
class Trend(MethodView):
    @blp.arguments(TrendArgsSchema(), location="query")
    @blp.response(200)
    @blp.alt_response(401, schema=ProblemSchema)
    def get(self, args):
        """The three rates month by month (the city, or one unit)."""
        return rankings.rates_trend(runtime(), bearer_token(), args["months"], args.get("unit"))
