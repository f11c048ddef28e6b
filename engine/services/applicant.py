"""What the applicant does with the case number and query code."""

from __future__ import annotations

from sqlalchemy import select

from ..domain.access import APPLICANT
from ..domain.applicant import code_matches
from ..domain.clock.calendar import get_calendar
from ..domain.deadlines import clock_stopped, on_time
from ..domain.forms import form_errors, merge_patch
from ..domain.statuses import CaseStatus, TaskKind, TaskState, has_ended
from ..errors import Conflict, Invalid, NotFound, WrongState
from ..store import cases as stored
from ..store import history
from ..store.matters import department_names
from ..store.models import Case, Event, Rating, Request
from .flow import end_case, lock_case
from .handling import resume_case
from .specs import compiled


def case_for_applicant(
    uow, secret_key: str, case_no: str, code: str | None, lock: bool = False
) -> Case:
    """A wrong code answers exactly like an unknown case."""
    case = stored.by_case_no(uow.session, case_no)
    if case is None or not code_matches(secret_key, case.case_no, case.code_salt, code):
        raise NotFound(f"no case {case_no}")
    return lock_case(uow, case.id) if lock else case


def progress(uow, case: Case) -> dict:
    names = department_names(uow)
    now = uow.now()
    history.write_pending(uow)  # this unit's own entries too
    events = uow.session.scalars(
        select(Event).where(Event.case_id == case.id, Event.public).order_by(Event.at, Event.id)
    )
    rating = uow.session.get(Rating, case.id)
    return {
        "case_no": case.case_no,
        "matter": {
            "key": case.matter.key,
            "version": case.matter.version,
            "title": case.matter.title,
        },
        "status": case.status,
        "submitted_at": case.submitted_at,
        "accepted_at": case.accepted_at,
        "due_at": case.due_at,
        "statutory_due_at": case.statutory_due_at,
        "completed_at": case.completed_at if case.status == CaseStatus.COMPLETED else None,
        "ended_at": case.completed_at,
        "on_time": on_time(case, now),
        "clock_stopped": clock_stopped(case),
        "missing_materials": case.missing_materials,
        "steps": [
            {
                "task": t.task,
                "name": t.name,
                "department": t.department,
                "department_name": names.get(t.department),
                "state": t.state,
                "started_at": t.started_at,
                "completed_at": t.completed_at,
                "due_at": t.due_at,
                "warning": t.warning,
            }
            for t in case.tasks
        ],
        "timeline": [{"at": e.at, "kind": e.kind, "text": e.text} for e in events],
        "results": case.results if case.status == CaseStatus.COMPLETED else {},
        "rating": {"score": rating.score, "comment": rating.comment} if rating else None,
        # the matter's calendar's zone: a printed receipt shows local times
        "time_zone": get_calendar(compiled(case.matter).settings.calendar).tz.key,
        "request": _request_view(uow, case),
    }


def _request_view(uow, case: Case) -> dict | None:
    """A request's facts for its caller (SPEC §8): the unit's reply as soon as it is given,
    whether it was answered at once or linked, the visit."""
    settings = compiled(case.matter).settings
    if settings.kind != "request":
        return None
    request = uow.session.get(Request, case.id)
    if request is None:
        return None
    replies = [
        t
        for t in case.tasks
        if t.task == settings.request.handle
        and t.kind == TaskKind.PROCESS
        and t.state == TaskState.COMPLETED
        and t.data
    ]
    answered = (case.results or {}).get("answer")
    return {
        "reply": replies[-1].data.get("reply") if replies else (answered or {}).get("reply"),
        "replied_at": request.replied_at or request.answered_at,
        "answered": request.answered_at is not None,
        "linked": request.linked_to is not None,
        "visit": {
            k: (request.visit or {}).get(k) for k in ("contacted", "resolved", "satisfaction")
        }
        if request.visit
        else None,
        "reopens": request.reopens,
        "category": request.category,
        "channel": request.channel,
    }


def supplement(uow, case: Case, patch, note: str | None) -> Case:
    """The applicant's 补正: the form is patched, re-validated, and the clock resumes."""
    if case.status != CaseStatus.AWAITING_SUPPLEMENT:
        raise WrongState("the case", case.status, "supplement")
    if not isinstance(patch, dict):
        raise Invalid("form must be an object", errors={"form": ["must be an object"]})
    merged = merge_patch(case.form, patch)
    errors = form_errors(case.matter.form_schema, merged)
    if errors:
        raise Invalid(
            f"{len(errors)} field(s) failed validation",
            errors={f"form/{p}" if p else "form": m for p, m in errors.items()},
        )
    changed = sorted(k for k in set(case.form) | set(merged) if case.form.get(k) != merged.get(k))
    old_form = {k: case.form.get(k) for k in changed}
    case.form = merged
    missing, case.missing_materials = case.missing_materials, []
    history.record(
        uow,
        case,
        "supplemented",
        APPLICANT,
        old={"form": old_form, "missing": missing},
        new={"form": {k: merged.get(k) for k in changed}, "note": note},
        public=True,
        text="申请人已补正" + (f"：{note}" if note else ""),
    )
    resume_case(uow, case, APPLICANT, "clock_resumed", "恢复办理")
    return case


def withdraw(uow, case: Case, reason: str | None = None) -> Case:
    if has_ended(case.status):
        raise WrongState("the case", case.status, "withdraw")
    end_case(uow, case, CaseStatus.WITHDRAWN, APPLICANT, reason, "申请人已撤回")
    return case


def rate(uow, case: Case, score, comment: str | None) -> Rating:
    """好差评: 1-5, once per case, once the case has ended."""
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise Invalid("score must be 1..5", errors={"score": ["must be a whole number 1 to 5"]})
    if not has_ended(case.status):
        raise WrongState("the case", case.status, "rate")
    if uow.session.get(Rating, case.id) is not None:
        raise Conflict("this case has already been rated")
    rating = Rating(case_id=case.id, score=score, comment=comment, at=uow.now())
    uow.session.add(rating)
    history.record(
        uow,
        case,
        "rated",
        APPLICANT,
        new={"score": score, "comment": comment},
        public=True,
        text=f"申请人评价：{score}分",
    )
    return rating
