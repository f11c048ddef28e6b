"""The applicant's side: one intake, progress, 补正, withdrawal, rating."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from engine.services import intake, tracking

from ..context import runtime
from ..schemas import (
    CodeArgsSchema,
    IntakeResultSchema,
    IntakeSchema,
    ProblemSchema,
    ProgressSchema,
    RatingSchema,
    StatusSchema,
    SupplementSchema,
    WithdrawSchema,
)

blp = Blueprint(
    "cases",
    __name__,
    url_prefix="/api",
    description="Applicants: submit once, follow progress, supplement, rate",
)


@blp.route("/matters/<key>/cases")
class Intake(MethodView):
    @blp.arguments(IntakeSchema())
    @blp.response(201, IntakeResultSchema)
    @blp.alt_response(404, schema=ProblemSchema, description="no such matter")
    @blp.alt_response(
        409, schema=ProblemSchema, description="Idempotency-Key reused for a different request"
    )
    @blp.alt_response(422, schema=ProblemSchema, description="per-field problems")
    def post(self, body, key):
        """Submit the one form (一表申请). Send an Idempotency-Key to make retries safe:
        a repeat answers exactly as the first time (plus `Idempotent-Replayed: true`)."""
        receipt, created = intake.submit(
            runtime(), key, body["applicant"], body["form"], request.headers.get("Idempotency-Key")
        )
        return receipt, 201, {} if created else {"Idempotent-Replayed": "true"}


@blp.route("/cases/<case_no>/progress")
class Progress(MethodView):
    @blp.arguments(CodeArgsSchema(), location="query")
    @blp.response(200, ProgressSchema)
    @blp.alt_response(404, schema=ProblemSchema, description="unknown case or wrong code")
    def get(self, args, case_no):
        """Where the case stands: steps per department, due dates, the public timeline."""
        return tracking.progress(runtime(), case_no, args["code"])


@blp.route("/cases/<case_no>/supplement")
class Supplement(MethodView):
    @blp.arguments(CodeArgsSchema(), location="query")
    @blp.arguments(SupplementSchema())
    @blp.response(200, StatusSchema)
    @blp.alt_response(404, schema=ProblemSchema)
    @blp.alt_response(409, schema=ProblemSchema, description="not awaiting a supplement")
    @blp.alt_response(422, schema=ProblemSchema)
    def post(self, args, body, case_no):
        """补正: patch the form with what was missing; the clock resumes."""
        return tracking.supplement(runtime(), case_no, args["code"], body["form"], body.get("note"))


@blp.route("/cases/<case_no>/withdraw")
class Withdraw(MethodView):
    @blp.arguments(CodeArgsSchema(), location="query")
    @blp.arguments(WithdrawSchema(), required=False)
    @blp.response(200, StatusSchema)
    @blp.alt_response(404, schema=ProblemSchema)
    @blp.alt_response(409, schema=ProblemSchema, description="the case has ended")
    def post(self, args, body, case_no):
        """Withdraw the application (撤回)."""
        return tracking.withdraw(runtime(), case_no, args["code"], (body or {}).get("reason"))


@blp.route("/cases/<case_no>/rating")
class Rate(MethodView):
    @blp.arguments(CodeArgsSchema(), location="query")
    @blp.arguments(RatingSchema())
    @blp.response(201, RatingSchema)
    @blp.alt_response(404, schema=ProblemSchema)
    @blp.alt_response(409, schema=ProblemSchema, description="not ended, or already rated")
    @blp.alt_response(422, schema=ProblemSchema)
    def post(self, args, body, case_no):
        """好差评: 1 (非常不满意) to 5 (非常满意), once the case has ended."""
        return tracking.rate(runtime(), case_no, args["code"], body["score"], body.get("comment"))
