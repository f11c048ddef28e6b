"""Citizen requests (接诉即办, SPEC §8) as services: intake on every channel, answered at
once, duplicates found and linked, the caller's own visit, the category tree.

A request is a case of the shipped `hotline` matter (or any matter of `kind:
request`): the same case, tasks, clock, history, timers and cards as any case.
Functions taking `rt` own their unit of work; those taking `uow` run inside one.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import orjson
from sqlalchemy import select

from ..domain.access import APPLICANT, Actor
from ..domain.applicant import query_code
from ..domain.clock.calendar import get_calendar
from ..domain.periods import month_of
from ..domain.requests import CATEGORY, request_errors, visit_errors
from ..domain.statuses import OPEN, CaseStatus, TaskState, has_ended
from ..errors import Invalid, NotFound, WrongState
from ..store import history, matters
from ..store.models import Case, Category, Department, Request, RequestCount
from . import applicant as applicant_cases
from .accounts import authenticate, staff_unit
from .flow import end_case, find_case
from .handling import complete
from .intake import create_case
from .request_facts import record_visit, request_of
from .specs import compiled

MATTER = "hotline"
INTAKE_ROLES = ("agent", "admin")
# the caller, closing the centre's visit task by his own answers online (his query code
# is his right to; the history names him)
CALLER = Actor("caller", frozenset(), frozenset({"admin"}))


# -- intake ----------------------------------------------------------------------------


def submit_request(uow, body, actor: Actor | None, matter_key: str = MATTER) -> Case:
    """A request on its channel: an agent's (with a token) or a caller's own (web, app)."""
    if actor is not None:
        actor.require_role(*INTAKE_ROLES)
    errors = request_errors(body, public=actor is None)
    if not errors:
        if uow.session.get(Category, body["category"]) is None:
            errors["category"] = [f"no category {body['category']!r} in the category tree"]
        if _street_of(uow, body["location"]["region"]) is False:
            errors["location/region"] = [
                f"no unit of the organisation covers region {body['location']['region']!r}"
            ]
    if errors:
        raise Invalid(f"{len(errors)} field(s) failed validation", errors=errors)
    matter = matters.latest(uow, matter_key)
    if compiled(matter).settings.kind != "request":
        raise NotFound(f"no request matter {matter_key!r}")
    caller = {"name": body["caller"].get("name") or "", "phone": body["caller"]["phone"]}
    form = {key: value for key, value in body.items() if key != "caller"}
    form.setdefault("urgency", "normal")
    fingerprint = hashlib.sha256(
        orjson.dumps([matter_key, caller, form], option=orjson.OPT_SORT_KEYS)
    ).hexdigest()
    case = create_case(uow, matter, caller, form, None, fingerprint)
    handling = [t for t in case.tasks if t.state in OPEN]
    now = uow.now()
    uow.session.add(
        Request(
            case_id=case.id,
            channel=form["channel"],
            type=form["type"],
            category=form["category"],
            region=form["location"]["region"],
            street=_street_of(uow, form["location"]["region"]),
            urgency=form["urgency"],
            caller_phone=caller["phone"],
            address=form["location"]["address"],
            title=form["title"],
            created_at=now,
            unit=handling[0].department if handling else None,
            contact_late=False,
            reopens=0,
        )
    )
    _count(uow, form["category"], form["location"]["region"], now, compiled(matter).settings)
    history.record(
        uow,
        case,
        "request_received",
        APPLICANT if actor is None else actor.label,
        new={
            "channel": form["channel"],
            "type": form["type"],
            "category": form["category"],
            "urgency": form["urgency"],
        },
    )
    return case


def _street_of(uow, region: str) -> str | None | bool:
    """The unit of kind street whose region code is the longest prefix of `region`
    (None: covered by the organisation but by no street; False: covered by nothing)."""
    rows = uow.session.execute(
        select(Department.key, Department.kind, Department.region_code).where(
            Department.region_code.is_not(None)
        )
    ).all()
    covering = [r for r in rows if region.startswith(r.region_code)]
    if not covering:
        return False
    streets = [r for r in covering if r.kind == "street"]
    return max(streets, key=lambda r: len(r.region_code)).key if streets else None


def _count(uow, category: str, region: str, now: datetime, settings) -> None:
    """One more request of `category` in `region` this month (the hot spots' counts)."""
    month = month_of(now.astimezone(get_calendar(settings.calendar).tz).date())
    table = RequestCount.__table__
    row = uow.session.get(RequestCount, (month, category, region))
    if row is None:
        uow.session.execute(
            table.insert().values(month=month, category=category, region=region, n=1)
        )
    else:
        row.n += 1


def submit(rt, token: str | None, body) -> dict:
    """`POST /api/requests`: 201 {case_no, query_code, status}."""
    with rt.uow() as uow:
        actor = authenticate(uow, token) if token else None
        case = submit_request(uow, body, actor)
        uow.commit()
        return {
            "case_no": case.case_no,
            "status": case.status,
            "query_code": query_code(rt.settings.secret_key, case.case_no, case.code_salt),
        }


# -- answered at once, duplicates ----------------------------------------------------------


def _open_request(uow, case_no: str) -> tuple[Case, Request]:
    case = find_case(uow, case_no, lock=True)
    request = request_of(uow, case)
    if request is None:
        raise NotFound(f"no request {case_no}")
    return case, request


def answer(rt, token: str, case_no: str, reply) -> dict:
    """直接答复: an agent closes a consultation on the spot; it is counted, dispatched to
    no one."""
    if not (isinstance(reply, str) and reply.strip() and len(reply) <= 5000):
        raise Invalid("a reply is required", errors={"reply": ["1 to 5000 characters"]})
    with staff_unit(rt, token) as (uow, actor):
        actor.require_role(*INTAKE_ROLES)
        case, request = _open_request(uow, case_no)
        if has_ended(case.status):
            raise WrongState("the request", case.status, "answer")
        if request.type != "consultation":
            raise Invalid(
                "only a consultation is answered at once",
                errors={"type": [f"a {request.type} is dispatched to its unit"]},
            )
        case.results = {"answer": {"reply": reply, "by": actor.username}}
        end_case(uow, case, CaseStatus.ANSWERED, actor.label, None, "已直接答复")
        request.answered_at = uow.now()
        uow.commit()
        return {"case_no": case.case_no, "status": case.status}


def link(rt, token: str, case_no: str, to: str) -> dict:
    """Join a request to an open one about the same matter: handled once, and every caller
    gets the reply and the visit."""
    with staff_unit(rt, token) as (uow, actor):
        actor.require_role(*INTAKE_ROLES)
        if not isinstance(to, str) or not to:
            raise Invalid("the request to link to is required", errors={"to": ["is required"]})
        if to == case_no:
            raise Invalid("a request cannot be linked to itself", errors={"to": ["itself"]})
        case, request = _open_request(uow, case_no)
        primary, primary_request = _open_request(uow, to)
        errors = {}
        if has_ended(primary.status):
            errors["to"] = [f"request {to} is closed ({primary.status})"]
        elif primary_request.linked_to is not None:
            errors["to"] = [f"request {to} is itself linked to another"]
        if has_ended(case.status):
            errors["case_no"] = [f"request {case_no} is closed ({case.status})"]
        elif request.linked_to is not None:
            errors["case_no"] = [f"request {case_no} is linked already"]
        if errors:
            raise Invalid("the requests cannot be linked", errors=errors)
        for task in case.tasks:
            if task.state in OPEN:
                task.state = TaskState.CANCELLED
        request.linked_to = primary.id
        history.record(
            uow,
            case,
            "linked",
            actor.label,
            new={"to": to},
            public=True,
            text=f"已与诉求 {to} 合并办理",
        )
        history.record(uow, primary, "linked_from", actor.label, new={"from": case_no})
        uow.commit()
        return {"case_no": case_no, "linked_to": to, "status": case.status}


def candidates(
    rt,
    token: str,
    phone: str | None = None,
    region: str | None = None,
    open_only: bool = True,
    limit: int = 50,
) -> list[dict]:
    """Requests by the caller's phone or the place (a region-code prefix): duplicates."""
    if not phone and not region:
        raise Invalid("search by phone or region", errors={"phone": ["phone or region"]})
    with staff_unit(rt, token) as (uow, _actor):
        query = select(Request, Case).join(Case, Case.id == Request.case_id)
        if phone:
            query = query.where(Request.caller_phone == phone)
        if region:
            query = query.where(Request.region.startswith(region, autoescape=True))
        if open_only:
            query = query.where(
                Case.status.in_((CaseStatus.SUBMITTED, CaseStatus.IN_PROGRESS)),
                Request.linked_to.is_(None),
            )
        rows = uow.session.execute(query.order_by(Request.created_at.desc()).limit(limit))
        return [
            {
                "case_no": case.case_no,
                "status": case.status,
                "title": request.title,
                "category": request.category,
                "region": request.region,
                "address": request.address,
                "created_at": request.created_at,
                "unit": request.unit,
            }
            for request, case in rows
        ]


# -- the caller's visit --------------------------------------------------------------------


def caller_visit(rt, case_no: str, code: str | None, visit) -> dict:
    """The caller gives the visit's answers online (with his query code): resolved and not
    unsatisfied closes the visit; otherwise the centre decides (it may reopen)."""
    errors = visit_errors(visit)
    if errors:
        raise Invalid("the visit is not valid", errors=errors)
    with rt.uow() as uow:
        case = applicant_cases.case_for_applicant(
            uow, rt.settings.secret_key, case_no, code, lock=True
        )
        request = request_of(uow, case)
        settings = compiled(case.matter).settings
        task = next(
            (
                t
                for t in case.tasks
                if t.task == (settings.request.visit if settings.request else None)
                and t.state in OPEN
            ),
            None,
        )
        if request is None or task is None:
            raise WrongState(
                "the request",
                "not replied yet" if not has_ended(case.status) else case.status,
                "visit",
            )
        answers = {k: visit[k] for k in ("contacted", "resolved", "satisfaction")}
        if answers["resolved"] and answers["satisfaction"] != "unsatisfied":
            complete(uow, CALLER, task.id, {**answers, "reopen": False})
            request.visit = {**(request.visit or {}), "by": "caller"}
        else:
            record_visit(uow, request, answers, by="caller")
            history.record(uow, case, "visit_unsatisfied", APPLICANT, task=task, new=answers)
        history.record(
            uow, case, "caller_visit", APPLICANT, new=answers, public=True, text="来电人已在线评价"
        )
        uow.commit()
        return {"case_no": case.case_no, "status": case.status}


# -- the category tree ---------------------------------------------------------------------


def categories(rt) -> list[dict]:
    with rt.uow() as uow:
        return [
            {"code": c.code, "name": dict(c.name), "parent": c.parent, "active": c.active}
            for c in uow.session.scalars(
                select(Category).order_by(Category.position, Category.code)
            )
        ]


def put_categories(rt, token: str | None, tree) -> dict:
    """The whole category tree, replaced (admins): [{code, name: {zh, en?}, parent?}]."""
    with rt.uow() as uow:
        if token is not None:
            authenticate(uow, token).require_role("admin")
        count = replace_categories(uow, tree)
        uow.commit()
        return {"categories": count}


def replace_categories(uow, tree) -> int:
    errors = _category_errors(tree)
    if errors:
        raise Invalid(f"the category tree has {len(errors)} problem(s)", errors=errors)
    uow.session.query(Category).delete()
    for position, item in enumerate(tree):
        uow.session.add(
            Category(
                code=item["code"],
                name=dict(item["name"]),
                parent=item.get("parent"),
                position=position,
                active=item.get("active", True),
            )
        )
    uow.session.flush()
    return len(tree)


def _category_errors(tree) -> dict[str, list[str]]:
    if not isinstance(tree, list) or not tree:
        return {"categories": ["a non-empty list of {code, name, parent?}"]}
    errors: dict[str, list[str]] = {}
    codes = {}
    for i, item in enumerate(tree):
        where = f"categories/{i}"
        if not isinstance(item, dict):
            errors[where] = ["an object {code, name, parent?}"]
            continue
        code = item.get("code")
        if not (isinstance(code, str) and CATEGORY.match(code)):
            errors[f"{where}/code"] = ["2-12 letters or digits"]
        elif code in codes:
            errors[f"{where}/code"] = [f"used twice (also categories/{codes[code]})"]
        else:
            codes[code] = i
        name = item.get("name")
        if not (isinstance(name, dict) and isinstance(name.get("zh"), str) and name["zh"]):
            errors[f"{where}/name"] = ["{zh, en?}"]
    for i, item in enumerate(tree):
        parent = item.get("parent") if isinstance(item, dict) else None
        if parent is not None and (
            parent not in codes
            or codes[parent] >= i
            or not str(item.get("code", "")).startswith(parent)
        ):
            errors[f"categories/{i}/parent"] = [
                f"{parent!r} is not an earlier category whose code begins this one's"
            ]
    return errors


def ensure_categories(rt, tree) -> bool:
    """The default tree on a first start (no category yet)."""
    with rt.uow() as uow:
        if uow.session.scalar(select(Category.code).limit(1)) is not None:
            return False
        replace_categories(uow, tree)
        uow.commit()
        return True
