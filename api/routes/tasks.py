"""The department worklist and what staff do to tasks and cases."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from engine.services import tasks

from ..context import bearer_token, runtime
from ..schemas import (
    CompleteSchema,
    DiagramSchema,
    DispatchSchema,
    ExtendSchema,
    ProblemSchema,
    ReasonSchema,
    ReturnSchema,
    StaffCaseSchema,
    StatusSchema,
    SummonSchema,
    SuspendSchema,
    TaskSchema,
    TaskSupplementSchema,
    WorklistArgsSchema,
)

blp = Blueprint(
    "tasks",
    __name__,
    url_prefix="/api",
    description="Department staff: worklist, handling, case view",
)

_COMMON = [
    (401, "not logged in"),
    (404, "no such task in your departments"),
    (409, "the task or case is in the wrong state (named in detail)"),
]


def documented(*extra):
    """Document the error responses every task action can give."""

    def decorate(func):
        for status, description in _COMMON + list(extra):
            func = blp.alt_response(status, schema=ProblemSchema, description=description)(func)
        return func

    return decorate


@blp.route("/tasks")
class Worklist(MethodView):
    @blp.arguments(WorklistArgsSchema(), location="query")
    @blp.response(200, TaskSchema(many=True))
    @blp.alt_response(401, schema=ProblemSchema)
    def get(self, args):
        """My units' open tasks (a supervisor's: and every unit below), or `state=`,
        soonest due first; `kind=assist` my assist tasks, `disputed=true` the dispute
        queue, `returned=true` the tasks returned to me as dispatcher."""
        filters = {k: args[k] for k in ("kind", "disputed", "returned") if k in args}
        return tasks.worklist(
            runtime(),
            bearer_token(),
            args.get("department"),
            args.get("state"),
            args.get("warning"),
            **filters,
        )


def _task_action(action, *args):
    return action(runtime(), bearer_token(), *args)


@blp.route("/tasks/<int:task_id>/claim")
class Claim(MethodView):
    @blp.response(200, TaskSchema)
    @documented()
    def post(self, task_id):
        """Take a ready task (办理中)."""
        return _task_action(tasks.claim, task_id)


@blp.route("/tasks/<int:task_id>/unclaim")
class Unclaim(MethodView):
    @blp.response(200, TaskSchema)
    @documented()
    def post(self, task_id):
        """Put a claimed task back on the department's worklist."""
        return _task_action(tasks.unclaim, task_id)


@blp.route("/tasks/<int:task_id>/complete")
class Complete(MethodView):
    @blp.arguments(CompleteSchema())
    @blp.response(200, TaskSchema)
    @documented((422, "the output fails the task's form"))
    def post(self, body, task_id):
        """Finish the task with the department's output (`data`)."""
        return _task_action(tasks.complete, task_id, body["data"])


@blp.route("/tasks/<int:task_id>/supplement")
class RequestSupplement(MethodView):
    @blp.arguments(TaskSupplementSchema())
    @blp.response(200, StatusSchema)
    @documented((422, "reason and missing items are required"))
    def post(self, body, task_id):
        """补正: return the case to the applicant with everything missing (一次告知)."""
        return _task_action(tasks.request_supplement, task_id, body["reason"], body["missing"])


@blp.route("/tasks/<int:task_id>/refuse")
class Refuse(MethodView):
    @blp.arguments(ReasonSchema())
    @blp.response(200, StatusSchema)
    @documented((422, "a reason is required"))
    def post(self, body, task_id):
        """不予受理 / 不予许可: end the case with a reason the applicant sees."""
        return _task_action(tasks.refuse, task_id, body["reason"])


@blp.route("/tasks/<int:task_id>/suspend")
class Suspend(MethodView):
    @blp.arguments(SuspendSchema())
    @blp.response(200, StatusSchema)
    @documented((422, "kind and reason are required"))
    def post(self, body, task_id):
        """特别程序: stop the clock for a hearing, inspection, expert review…"""
        return _task_action(tasks.suspend, task_id, body["kind"], body["reason"])


@blp.route("/tasks/<int:task_id>/resume")
class Resume(MethodView):
    @blp.response(200, StatusSchema)
    @documented()
    def post(self, task_id):
        """End the special procedure; every deadline moves by the time it took."""
        return _task_action(tasks.resume, task_id)


@blp.route("/tasks/<int:task_id>/return")
class Return(MethodView):
    @blp.arguments(ReturnSchema())
    @blp.response(200, TaskSchema)
    @documented((422, "a reason is required"))
    def post(self, body, task_id):
        """退单: send a dispatched task back to its dispatcher, within the return window
        (409 naming when it closed)."""
        return _task_action(tasks.return_task, task_id, body["reason"])


@blp.route("/tasks/<int:task_id>/dispatch")
class Dispatch(MethodView):
    @blp.arguments(DispatchSchema())
    @blp.response(200, TaskSchema)
    @documented(
        (403, "a disputed task: its dispatcher's supervisors decide"),
        (422, "no such active unit, or no reason"),
    )
    def post(self, body, task_id):
        """派单: the dispatcher sends the task to a unit (a dispute is decided the same
        way); the task's deadline runs on unless `restart_clock`."""
        return _task_action(
            tasks.dispatch, task_id, body["department"], body["reason"], body["restart_clock"]
        )


@blp.route("/tasks/<int:task_id>/summon")
class Summon(MethodView):
    @blp.arguments(SummonSchema())
    @blp.response(201, TaskSchema(many=True))
    @documented((422, "unknown or own units, no reason, a bad due"))
    def post(self, body, task_id):
        """吹哨报到: open an assist task (协办) in each unit, each due `due` from now; the
        task cannot be completed while one is open."""
        return _task_action(tasks.summon, task_id, body["departments"], body["reason"], body["due"])


@blp.route("/cases/<case_no>")
class StaffCase(MethodView):
    @blp.response(200, StaffCaseSchema)
    @blp.alt_response(401, schema=ProblemSchema)
    @blp.alt_response(404, schema=ProblemSchema)
    def get(self, case_no):
        """The case as my departments may see it, with its history."""
        return tasks.staff_case(runtime(), bearer_token(), case_no)


@blp.route("/cases/<case_no>/extend")
class Extend(MethodView):
    @blp.arguments(ExtendSchema())
    @blp.response(200, StatusSchema)
    @blp.alt_response(401, schema=ProblemSchema)
    @blp.alt_response(403, schema=ProblemSchema, description="not a supervisor")
    @blp.alt_response(404, schema=ProblemSchema)
    @blp.alt_response(409, schema=ProblemSchema)
    @blp.alt_response(422, schema=ProblemSchema)
    def post(self, body, case_no):
        """延期: a supervisor adds working days, with a reason the applicant sees."""
        return tasks.extend(runtime(), bearer_token(), case_no, body["workdays"], body["reason"])


@blp.route("/cases/<case_no>/diagram")
class Diagram(MethodView):
    @blp.response(200, DiagramSchema)
    @blp.alt_response(401, schema=ProblemSchema)
    @blp.alt_response(404, schema=ProblemSchema)
    def get(self, case_no):
        """The case's BPMN with its active and completed tasks."""
        return tasks.diagram(runtime(), bearer_token(), case_no)
