"""Rankings (赛马) and hot spots: one mechanism for every kind of ranking (SPEC §8, §11).

A ranking ranks units (or matters) of a period on their figures, with the previous
period's rank and the change. The request rankings read the visit counts kept per
unit and day (engine.store's request_stat, written in the visit's transaction); the
hot spots read the request counts kept per month, category and region (request_count,
written at intake), or the requests themselves for a week or a day.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from ..domain.clock.calendar import get_calendar
from ..domain.matter import DEFAULT_CALENDAR
from ..domain.periods import Period, parse
from ..domain.requests import Rates
from ..errors import Invalid
from ..store.models import Category, Department, Request, RequestCount, RequestStat
from .accounts import staff_unit

LEVELS = ("street", "department", "government", "center")
BY = ("category", "region")


def _period(key, today: date) -> Period:
    try:
        period = parse(key)
    except ValueError as exc:
        raise Invalid(str(exc), errors={"period": [str(exc)]}) from None
    if period.first > today:
        raise Invalid(f"{key} has not begun", errors={"period": [f"{key} is in the future"]})
    return period


def rank(rows: list[dict], key: str) -> list[dict]:
    """Rank `rows` by `key`, highest first (equal figures share a rank: 1, 2, 2, 4);
    rows without a figure come last, unranked."""
    scored = sorted((r for r in rows if r[key] is not None), key=lambda r: -r[key])
    previous, place = None, 0
    for i, row in enumerate(scored, start=1):
        if row[key] != previous:
            place, previous = i, row[key]
        row["rank"] = place
    for row in rows:
        row.setdefault("rank", None)
    return scored + [r for r in rows if r[key] is None]


def with_previous(now: list[dict], before: list[dict], identity: str) -> list[dict]:
    """Each row with the previous period's rank and the change (positive: up)."""
    ranks = {r[identity]: r["rank"] for r in before}
    for row in now:
        previous = ranks.get(row[identity])
        row["previous_rank"] = previous
        row["change"] = previous - row["rank"] if previous and row["rank"] else None
    return now


# -- requests: the three rates --------------------------------------------------------------


def _unit_rates(uow, period: Period, level: str, weights) -> list[dict]:
    stat = RequestStat
    found = uow.session.execute(
        select(
            stat.unit,
            func.sum(stat.visited),
            func.sum(stat.contacted),
            func.sum(stat.resolved),
            func.sum(stat.satisfied),
            func.sum(stat.basically),
        )
        .join(Department, Department.key == stat.unit)
        .where(stat.day >= period.first, stat.day < period.end, Department.kind == level)
        .group_by(stat.unit)
    ).all()
    names = dict(
        uow.session.execute(
            select(Department.key, Department.name).where(
                Department.key.in_([row[0] for row in found])
            )
        ).all()
    )
    rows = []
    for unit, visited, contacted, resolved, satisfied, basically in found:
        name = names.get(unit)
        rates = Rates(
            int(visited or 0),
            int(contacted or 0),
            int(resolved or 0),
            int(satisfied or 0),
            int(basically or 0),
        )
        rows.append(
            {
                "unit": unit,
                "name": dict(name or {}),
                "visited": rates.visited,
                "response_rate": rates.response,
                "resolution_rate": rates.resolution,
                "satisfaction_rate": rates.satisfaction,
                "score": rates.score(weights),
            }
        )
    return rank(rows, "score")


def request_ranking(rt, token: str, level: str, period_key: str) -> dict:
    """`GET /api/rankings?kind=request&level=street&period=2026-11`: the units of a level
    by the composite of their response, resolution and satisfaction rates (三率)."""
    if level not in LEVELS:
        raise Invalid("level", errors={"level": [f"one of {', '.join(LEVELS)}"]})
    with staff_unit(rt, token) as (uow, _actor):
        period = _period(period_key, uow.now().date())
        weights = rt.settings.ranking_weights
        now = _unit_rates(uow, period, level, weights)
        before = _unit_rates(uow, period.previous(), level, weights)
        return {
            "kind": "request",
            "level": level,
            "period": period.key,
            "previous_period": period.previous().key,
            "weights": list(weights),
            "rows": with_previous(now, before, "unit"),
        }


def rates_trend(rt, token: str, months: int = 12, unit: str | None = None) -> list[dict]:
    """The three rates month by month (the whole city, or one unit), the latest last."""
    if not isinstance(months, int) or not 1 <= months <= 60:
        raise Invalid("months", errors={"months": ["1 to 60"]})
    with staff_unit(rt, token) as (uow, _actor):
        period = parse(f"{uow.now().year}-{uow.now().month:02d}")
        series = []
        for _ in range(months):
            stat = RequestStat
            query = select(
                func.sum(stat.visited),
                func.sum(stat.contacted),
                func.sum(stat.resolved),
                func.sum(stat.satisfied),
                func.sum(stat.basically),
            ).where(stat.day >= period.first, stat.day < period.end)
            if unit:
                query = query.where(stat.unit == unit)
            counts = [int(v or 0) for v in uow.session.execute(query).one()]
            rates = Rates(*counts)
            series.append(
                {
                    "period": period.key,
                    "visited": rates.visited,
                    "response_rate": rates.response,
                    "resolution_rate": rates.resolution,
                    "satisfaction_rate": rates.satisfaction,
                    "score": rates.score(rt.settings.ranking_weights),
                }
            )
            period = period.previous()
        return list(reversed(series))


# -- hot spots -------------------------------------------------------------------------------


def _months(period: Period) -> list[str] | None:
    """The months a period covers whole (None: a week or a day)."""
    if period.kind == "month":
        return [period.key]
    if period.kind == "quarter":
        first = period.first
        return [f"{first.year}-{first.month + i:02d}" for i in range(3)]
    return None


def _counts(uow, period: Period, by: str, prefix: str, width: int, tz) -> dict[str, int]:
    """Requests of the period by their category or region cut to `width` characters,
    among those under `prefix`."""
    months = _months(period)
    if months is not None:
        column = RequestCount.category if by == "category" else RequestCount.region
        key = func.substr(column, 1, width)
        query = (
            select(key, func.sum(RequestCount.n))
            .where(RequestCount.month.in_(months))
            .group_by(key)
        )
    else:
        start, end = period.bounds(tz)
        column = Request.category if by == "category" else Request.region
        key = func.substr(column, 1, width)
        query = (
            select(key, func.count())
            .where(Request.created_at >= start, Request.created_at < end)
            .group_by(key)
        )
    if prefix:
        query = query.where(column.startswith(prefix, autoescape=True))
    return {code: int(n) for code, n in uow.session.execute(query) if code and len(code) == width}


def hotspots(
    rt,
    token: str,
    period_key: str,
    by: str = "category",
    depth: int = 10,
    within: str | None = None,
) -> dict:
    """The top `depth` categories (or regions) of a period, one level below `within` (a
    category or region code; none: the top level), with 环比 and 同比, `persistent` (in
    the top `depth` three periods running) and `rising` (up more than the threshold)."""
    errors = {}
    if by not in BY:
        errors["by"] = [f"one of {', '.join(BY)}"]
    if not isinstance(depth, int) or not 1 <= depth <= 100:
        errors["depth"] = ["1 to 100"]
    if within is not None and not (within.isalnum() and len(within) <= 9):
        errors["within"] = ["a category or region code"]
    if errors:
        raise Invalid("the hot spots' parameters", errors=errors)
    prefix = within or ""
    if by == "category":
        width = 2 if not prefix else len(prefix) + 2
    else:
        width = 6 if len(prefix) < 6 else len(prefix) + 3
    with staff_unit(rt, token) as (uow, _actor):
        period = _period(period_key, uow.now().date())
        tz = _tz()
        now = _counts(uow, period, by, prefix, width, tz)
        before = _counts(uow, period.previous(), by, prefix, width, tz)
        last_year = _counts(uow, period.a_year_before(), by, prefix, width, tz)
        earlier = _counts(uow, period.previous().previous(), by, prefix, width, tz)
        top = sorted(now, key=lambda k: (-now[k], k))[:depth]
        top_before = set(sorted(before, key=lambda k: (-before[k], k))[:depth])
        top_earlier = set(sorted(earlier, key=lambda k: (-earlier[k], k))[:depth])
        names = _names(uow, by, top)
        threshold = rt.settings.hotspot_rising
        rows = []
        for code in top:
            n, p, y = now[code], before.get(code, 0), last_year.get(code, 0)
            mom = round((n - p) / p, 4) if p else None
            rows.append(
                {
                    "code": code,
                    "name": names.get(code),
                    "count": n,
                    "previous": p,
                    "year_before": y,
                    "change": mom,
                    "change_year": round((n - y) / y, 4) if y else None,
                    "persistent": code in top_before and code in top_earlier,
                    "rising": (mom is not None and mom > threshold) or (not p and n >= 5),
                }
            )
        return {
            "period": period.key,
            "by": by,
            "within": within,
            "depth": depth,
            "rising_threshold": threshold,
            "rows": rows,
        }


def _names(uow, by: str, codes: list[str]) -> dict[str, dict]:
    if by == "category":
        return {
            c.code: dict(c.name)
            for c in uow.session.scalars(select(Category).where(Category.code.in_(codes)))
        }
    return {
        d.region_code: dict(d.name)
        for d in uow.session.scalars(
            select(Department).where(
                Department.region_code.in_(codes),
                Department.kind.in_(("government", "street", "community")),
            )
        )
    }


def _tz():
    return get_calendar(DEFAULT_CALENDAR).tz
