"""The counts the rankings and hot spots read are kept in the same transaction as the visit
and the intake: after any mix of visits, reopens and revisits they equal a recount from
the requests themselves. Database, no HTTP."""

from __future__ import annotations

import copy
import random
from collections import Counter

from sqlalchemy import select

from engine.domain.access import Actor
from engine.services import flow, handling, requests
from engine.store.models import Request, RequestCount, RequestStat

from ..helpers import ROOT

BODY = __import__("json").loads((ROOT / "processes/hotline/example-form.json").read_text())
ADMIN = Actor("admin", frozenset(), frozenset({"admin"}))
REGIONS = ["990102001001", "990102002", "990105001", "990108101001"]
CATEGORIES = ["010102", "0202", "0401", "1201", "03"]


def _submit(runtime, rnd) -> int:
    body = copy.deepcopy(BODY)
    body.update(
        channel="web",
        category=rnd.choice(CATEGORIES),
        location={"address": "某地", "region": rnd.choice(REGIONS)},
        caller={"phone": "1390000" + str(rnd.randrange(1000, 9999))},
    )
    with runtime.uow() as uow:
        case = requests.submit_request(uow, body, None)
        uow.commit()
        return case.id


def _work(runtime, case_id: int, data: dict) -> bool:
    with runtime.uow() as uow:
        ready = [t for t in flow.lock_case(uow, case_id).tasks if t.state == "ready"]
        if not ready:
            return False
        handling.complete(uow, ADMIN, ready[0].id, data(ready[0].task))
        uow.commit()
        return True


def _outputs(rnd, reopen: bool):
    def data(task):
        if task == "handle":
            return {"reply": "已办理", "resolved": rnd.random() < 0.7}
        satisfaction = "unsatisfied" if reopen else rnd.choice(["satisfied", "basically"])
        return {
            "contacted": rnd.random() < 0.9,
            "resolved": not reopen,
            "satisfaction": satisfaction,
            "reopen": reopen,
        }

    return data


def test_the_kept_counts_equal_a_recount(runtime, clock):
    rnd = random.Random(5)
    for _ in range(12):
        case_id = _submit(runtime, rnd)
        reopens = 0
        while True:  # reply and visit, perhaps reopened (at most twice): again
            reopen = reopens < 2 and rnd.random() < 0.4
            if not _work(runtime, case_id, _outputs(rnd, reopen)):  # the reply
                break
            _work(runtime, case_id, _outputs(rnd, reopen))  # the visit
            reopens += reopen
            if not reopen:
                break
        clock.advance(hours=7)  # over days: the counts are per day
    with runtime.uow() as uow:
        visits = [r for r in uow.session.scalars(select(Request)) if r.visit]
        expected = Counter()
        for r in visits:
            key = (r.visit["day"], r.visit["unit"])
            expected[key + ("visited",)] += 1
            expected[key + ("contacted",)] += r.visit["contacted"]
            expected[key + ("resolved",)] += r.visit["resolved"]
            expected[key + ("satisfied",)] += r.visit["satisfaction"] == "satisfied"
            expected[key + ("basically",)] += r.visit["satisfaction"] == "basically"
        kept = Counter()
        for s in uow.session.scalars(select(RequestStat)):
            for name in ("visited", "contacted", "resolved", "satisfied", "basically"):
                kept[(s.day.isoformat(), s.unit, name)] += getattr(s, name)
        assert +kept == +expected and sum(v for k, v in kept.items() if k[2] == "visited")
        counts = Counter()
        for r in uow.session.scalars(select(Request)):
            counts[(r.category, r.region)] += 1
        assert {
            (c.category, c.region): c.n for c in uow.session.scalars(select(RequestCount))
        } == dict(counts)
