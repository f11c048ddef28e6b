"""marshmallow schemas: request bodies, responses, and the OpenAPI they describe."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

Text = fields.Dict(keys=fields.String(), values=fields.String())


class ProblemSchema(Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


# --- matters -------------------------------------------------------------
class MatterSummarySchema(Schema):
    key = fields.String()
    version = fields.Integer()
    title = fields.Dict()
    deployed_at = fields.DateTime()


class MatterSchema(MatterSummarySchema):
    form = fields.Dict()
    materials = fields.List(fields.Dict())
    deadline = fields.Dict()
    departments = fields.Dict()
    calendar = fields.String()


class MatterVersionSchema(Schema):
    key = fields.String()
    version = fields.Integer()
    deployed_at = fields.DateTime()
    deployed_by = fields.String(allow_none=True)


class DeployArgsSchema(Schema):
    package = fields.Raw(metadata={"type": "string", "format": "binary"}, required=True)


# --- cases (applicant) ---------------------------------------------------
class IntakeSchema(Schema):
    applicant = fields.Dict(
        required=True, metadata={"description": "name, id_type, id_number, phone"}
    )
    form = fields.Dict(required=True, metadata={"description": "the matter's one form"})


class IntakeResultSchema(Schema):
    case_no = fields.String()
    query_code = fields.String()
    status = fields.String()
    submitted_at = fields.DateTime()


class CodeArgsSchema(Schema):
    code = fields.String(required=True, metadata={"description": "the query code (查询码)"})


class StepSchema(Schema):
    task = fields.String()
    name = fields.String()
    department = fields.String()
    department_name = fields.Dict(allow_none=True)
    state = fields.String()
    started_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    warning = fields.String()


class TimelineEntrySchema(Schema):
    at = fields.DateTime()
    kind = fields.String()
    text = fields.String(allow_none=True)


class CaseSummarySchema(Schema):
    """What the applicant and staff views of a case share."""

    case_no = fields.String()
    matter = fields.Dict()
    status = fields.String()
    submitted_at = fields.DateTime()
    accepted_at = fields.DateTime(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    statutory_due_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    on_time = fields.Boolean()
    missing_materials = fields.List(fields.Dict())


class ProgressSchema(CaseSummarySchema):
    ended_at = fields.DateTime(allow_none=True)
    clock_stopped = fields.Boolean()
    steps = fields.List(fields.Nested(StepSchema))
    timeline = fields.List(fields.Nested(TimelineEntrySchema))
    results = fields.Dict()
    rating = fields.Dict(allow_none=True)
    request = fields.Dict(
        allow_none=True,
        metadata={"description": "a 12345 request's reply, visit and reopens (null for a matter)"},
    )


class SupplementSchema(Schema):
    form = fields.Dict(required=True, metadata={"description": "JSON merge patch of the form"})
    note = fields.String(load_default=None, allow_none=True)


class WithdrawSchema(Schema):
    reason = fields.String(load_default=None, allow_none=True)


class RatingSchema(Schema):
    score = fields.Integer(required=True, strict=True, validate=validate.Range(1, 5))
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class StatusSchema(Schema):
    case_no = fields.String()
    status = fields.String()
    due_at = fields.DateTime(allow_none=True)


class CalendarArgsSchema(Schema):
    class Meta:
        unknown = "include"

    from_ = fields.String(data_key="from", required=True)
    workdays = fields.String()
    workhours = fields.String()
    days = fields.String()
    hours = fields.String()
    iso = fields.String()


class DueSchema(Schema):
    due_at = fields.DateTime()


# --- staff ---------------------------------------------------------------
class LoginSchema(Schema):
    username = fields.String(required=True)
    password = fields.String(required=True, load_only=True)


class TokenSchema(Schema):
    token = fields.String()
    expires_at = fields.DateTime()


class UserInSchema(Schema):
    username = fields.String(required=True)
    password = fields.String(required=True, load_only=True)
    display_name = fields.String(load_default="")
    departments = fields.List(fields.String(), load_default=list)
    roles = fields.List(fields.String(), required=True)


class UserSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    departments = fields.List(fields.String())
    roles = fields.List(fields.String())
    created_at = fields.DateTime()


class WorklistArgsSchema(Schema):
    department = fields.String()
    state = fields.String(validate=validate.OneOf(["ready", "claimed", "completed", "cancelled"]))
    warning = fields.String(validate=validate.OneOf(["none", "yellow", "red"]))
    kind = fields.String(
        validate=validate.OneOf(["process", "assist"]),
        metadata={"description": "assist: a unit's assist tasks (协办)"},
    )
    disputed = fields.Boolean(metadata={"description": "true: the dispute queue (争议)"})
    returned = fields.Boolean(metadata={"description": "true: tasks returned (退单)"})


class TaskSchema(Schema):
    id = fields.Integer()
    case_no = fields.String()
    matter = fields.Dict()
    task = fields.String()
    name = fields.String()
    department = fields.String()
    state = fields.String()
    assignee = fields.String(allow_none=True)
    started_at = fields.DateTime()
    due_at = fields.DateTime(allow_none=True)
    warning = fields.String()
    case_status = fields.String()
    lane = fields.String(metadata={"description": "the BPMN lane the task sits in"})
    kind = fields.String(metadata={"description": "process, or assist (协办)"})
    parent_id = fields.Integer(allow_none=True, metadata={"description": "an assist's task"})
    returns = fields.Integer(metadata={"description": "times returned (退单)"})
    disputed = fields.Boolean()
    dispatcher = fields.String(allow_none=True)
    dispatch_failed = fields.String(allow_none=True)


class ReturnSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class DispatchSchema(Schema):
    department = fields.String(required=True, validate=validate.Length(min=1, max=100))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    restart_clock = fields.Boolean(
        load_default=False,
        metadata={
            "description": "true: the task's deadline starts again now (default: it runs on)"
        },
    )


class SummonSchema(Schema):
    departments = fields.List(
        fields.String(validate=validate.Length(min=1, max=100)), required=True
    )
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    due = fields.Dict(required=True, metadata={"description": "a duration, e.g. {workdays: 2}"})


# --- organisation ------------------------------------------------------------
class UnitSchema(Schema):
    key = fields.String()
    name = fields.Dict()
    kind = fields.String()
    parent = fields.String(allow_none=True)
    region_code = fields.String(allow_none=True)
    active = fields.Boolean()
    path = fields.List(fields.String())


class UnitInSchema(Schema):
    """A new unit; the engine checks every field and names each problem."""

    class Meta:
        unknown = "include"

    key = fields.Raw(required=True)
    name = fields.Raw(required=True)


class UnitChangeSchema(Schema):
    class Meta:
        unknown = "include"


class UnitArgsSchema(Schema):
    parent = fields.String()
    kind = fields.String()
    region = fields.String()
    under = fields.String(metadata={"description": "the units below this one"})


class RoutingTableSchema(Schema):
    rows = fields.Raw(
        required=True,
        metadata={"description": "[{category, region, department}]: codes or prefixes, * for any"},
    )


class RoutingArgsSchema(Schema):
    category = fields.String(required=True)
    region = fields.String(required=True)


class CompleteSchema(Schema):
    data = fields.Dict(load_default=dict)


class TaskSupplementSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    missing = fields.List(
        fields.String(validate=validate.Length(min=1)),
        required=True,
        validate=validate.Length(min=1),
    )


class ReasonSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class SuspendSchema(ReasonSchema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(
            ["hearing", "inspection", "expert_review", "testing", "quarantine", "other"]
        ),
    )


class ExtendSchema(Schema):
    workdays = fields.Integer(required=True, strict=True)
    reason = fields.String(required=True)


class StaffCaseSchema(CaseSummarySchema):
    applicant = fields.Dict()
    form = fields.Dict()
    warning = fields.String()
    tasks = fields.List(fields.Dict())
    history = fields.List(fields.Dict())


class DiagramSchema(Schema):
    bpmn_xml = fields.String()
    active = fields.List(fields.String())
    completed = fields.List(fields.String())


class MetricsArgsSchema(Schema):
    matter = fields.String()
    department = fields.String()
    from_ = fields.DateTime(data_key="from")
    to = fields.DateTime()
