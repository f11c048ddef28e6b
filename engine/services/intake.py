"""Intake (一表申请): one form, one window; the case is made and its process started."""

from __future__ import annotations

import hashlib
import secrets

import orjson
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from ..domain.access import APPLICANT, SYSTEM
from ..domain.applicant import applicant_errors, query_code
from ..domain.clock.calendar import get_calendar
from ..domain.forms import form_errors
from ..domain.statuses import Card, CaseStatus
from ..errors import Conflict, Invalid
from ..process.runner import CaseWorkflow
from ..store import cases as stored
from ..store import history, matters, rows
from ..store.db import next_id, reserve_ids
from ..store.models import Case, Task
from ..timers.schedule import none_pending
from .flow import accept, advance
from .specs import compiled


def submit_case(
    uow, matter_key: str, applicant, form, idempotency_key: str | None = None
) -> tuple[Case, bool]:
    """One form, one intake. Returns (case, created); a repeated key gives the same case."""
    fingerprint = hashlib.sha256(
        orjson.dumps([matter_key, applicant, form], option=orjson.OPT_SORT_KEYS)
    ).hexdigest()
    if idempotency_key:
        existing = _by_idempotency_key(uow, idempotency_key, fingerprint)
        if existing is not None:
            return existing, False
    matter = matters.latest(uow, matter_key)
    errors = applicant_errors(applicant)
    if not isinstance(form, dict):
        errors["form"] = ["must be an object"]
    else:
        errors.update(
            {
                f"form/{p}" if p else "form": m
                for p, m in form_errors(matter.form_schema, form).items()
            }
        )
    if errors:
        raise Invalid(f"{len(errors)} field(s) failed validation", errors=errors)

    try:
        case = create_case(uow, matter, applicant, form, idempotency_key, fingerprint)
    except IntegrityError:
        if not idempotency_key:
            raise
        uow.rollback()  # the same key won a race in another request
        existing = _by_idempotency_key(uow, idempotency_key, fingerprint)
        if existing is None:
            raise
        return existing, False
    return case, True


def create_case(uow, matter, applicant, form, idempotency_key, fingerprint) -> Case:
    now = uow.now()
    definition = compiled(matter)
    # the process first (a new case's variables are its form), to know how many tasks
    # it opens; then the ids of the case and of those tasks in one go, so that the case
    # number is known and the row written once, whole
    flow = CaseWorkflow.start(definition.process, dict(form))
    reserve_ids(uow.session, {Case.__table__: 1, Task.__table__: len(flow.ready_user_tasks())})
    case_id = next_id(uow.session, Case.__table__)
    day = get_calendar(definition.settings.calendar).local_date(now)
    case = Case(
        id=case_id,
        case_no=f"{day:%Y%m%d}{case_id:08d}",
        code_salt=secrets.token_hex(8),
        matter_id=matter.id,
        status=CaseStatus.SUBMITTED,
        applicant=applicant,
        form=form,
        results={},
        missing_materials=[],
        submitted_at=now,
        warning=Card.NONE,
        clock={},
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint,
        tasks=[],
    )  # a new case: no need to read its tasks or timers back
    rows.add_new(uow.session, case)  # written at commit, with its tasks, in one INSERT each
    set_committed_value(case, "matter", matter)  # shared and read-only: not added
    none_pending(uow, case.id)
    history.record(
        uow,
        case,
        "submitted",
        APPLICANT,
        new={"status": CaseStatus.SUBMITTED},
        public=True,
        text="已提交申请",
    )
    if definition.settings.acceptance is None:
        accept(uow, case, SYSTEM)
    advance(uow, case, flow)
    if idempotency_key:  # a concurrent request with the same key fails here, in the caller's try
        rows.write_now(uow.session)
    return case


def _by_idempotency_key(uow, key: str, fingerprint: str) -> Case | None:
    case = stored.by_idempotency_key(uow.session, key)
    if case is not None and case.request_fingerprint != fingerprint:
        raise Conflict("this Idempotency-Key was already used for a different request")
    return case


# -- the service (owns its unit of work) -------------------------------------


def submit(
    rt, matter_key: str, applicant, form, idempotency_key: str | None = None
) -> tuple[dict, bool]:
    """Submit the one form; (the receipt, whether it made a new case)."""
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 200:
        raise Invalid("bad Idempotency-Key", errors={"Idempotency-Key": ["1 to 200 characters"]})
    with rt.uow() as uow:
        case, created = submit_case(uow, matter_key, applicant, form, idempotency_key)
        uow.commit()
        return {
            "case_no": case.case_no,
            "query_code": query_code(rt.settings.secret_key, case.case_no, case.code_salt),
            "status": case.status,
            "submitted_at": case.submitted_at,
        }, created
