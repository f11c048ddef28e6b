"""Properties of the working-day calendar, over random instants in the CN
calendar (2025–2027, which includes real 调休) and in arbitrary zones."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.domain.clock.calendar import Duration, OfficeHours, Remaining, build_calendar
from engine.domain.clock.settings import CalendarSettings

SH = ZoneInfo("Asia/Shanghai")
UTC = timezone.utc
CN = build_calendar("CN", CalendarSettings(OfficeHours.default(), SH, {}))

zones = st.sampled_from(
    [
        UTC,
        SH,
        timezone(timedelta(hours=8)),
        timezone(timedelta(hours=-5)),
        ZoneInfo("Europe/Berlin"),
    ]
)
instants = st.builds(
    lambda naive, tz: naive.replace(tzinfo=UTC).astimezone(tz),
    st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 6, 30)),
    zones,
)
# instants that fall exactly on interesting wall-clock times: openings, closings, midnight
boundaries = st.builds(
    lambda day, hm: datetime(2025, 1, 1, *hm, tzinfo=SH) + timedelta(days=day),
    st.integers(0, 900),
    st.sampled_from([(0, 0), (9, 0), (12, 0), (13, 30), (17, 30), (23, 59)]),
)
any_instant = st.one_of(instants, boundaries)
days_n = st.integers(0, 40)
hours_n = st.one_of(st.integers(0, 120), st.floats(0, 120).map(lambda x: round(x, 3)))
fraction = st.floats(0, 1)
config = settings(max_examples=int(os.environ.get("CALENDAR_EXAMPLES", 150)), deadline=None)


def between(start, end, f):
    """An instant between `start` and `end`, rounded to the microsecond. Added in UTC:
    adding to a time in a zone with summer time (Europe/Berlin) is wall-clock
    arithmetic, an hour off across the change."""
    return start.astimezone(UTC) + timedelta(
        microseconds=round((end - start) / timedelta(microseconds=1) * f)
    )


@config
@given(any_instant, hours_n)
def test_workhours_add_exactly_that_much_office_time(start, n):
    due = CN.add(start, Duration("workhours", n))
    assert due.tzinfo == UTC
    assert CN.working_time_between(start, due) == timedelta(hours=n)


@config
@given(any_instant, days_n)
def test_workdays_end_at_midnight_after_the_nth_working_day(start, n):
    due = CN.add(start, Duration("workdays", n))
    local_due = due.astimezone(SH)
    assert local_due.time() == datetime.min.time() and due.tzinfo == UTC
    last_day = local_due.date() - timedelta(days=1)
    first_day = start.astimezone(SH).date()
    if n == 0:
        assert last_day == first_day
    else:
        assert CN.is_working_day(last_day)
        counted = [first_day + timedelta(days=i) for i in range(1, (last_day - first_day).days + 1)]
        assert sum(map(CN.is_working_day, counted)) == n


@config
@given(any_instant, days_n, days_n)
def test_monotonic_in_n(start, a, b):
    a, b = sorted((a, b))
    assert CN.add(start, Duration("workdays", a)) <= CN.add(start, Duration("workdays", b))
    assert CN.add(start, Duration("workhours", a)) <= CN.add(start, Duration("workhours", b))
    if a < b:
        assert CN.add(start, Duration("workdays", a)) < CN.add(start, Duration("workdays", b))


@config
@given(instants, days_n, hours_n, zones)
def test_the_zone_of_the_input_does_not_matter(start, days, hours, tz):
    for duration in (Duration("workdays", days), Duration("workhours", hours)):
        assert CN.add(start, duration) == CN.add(start.astimezone(tz), duration)


@config
@given(any_instant, st.sampled_from(["workdays", "workhours"]), days_n, fraction)
def test_zero_pause_round_trip(start, unit, n, f):
    due = CN.add(start, Duration(unit, n))
    stop = between(start, due, f)
    left = CN.remaining(stop, due)
    assert left.day_end == CN.is_day_end(due)
    assert CN.resume(stop, left) == due
    assert CN.resume(stop, Remaining.from_json(left.to_json())) == due


@config
@given(any_instant, st.sampled_from(["workdays", "workhours"]), days_n, fraction, any_instant)
def test_resume_keeps_the_office_time_left(start, unit, n, f, resumed_at):
    due = CN.add(start, Duration(unit, n))
    left = CN.remaining(between(start, due, f), due)
    new_due = CN.resume(resumed_at, left)
    kept = CN.working_seconds_between(resumed_at, new_due)
    if left.overdue:  # stopped exactly at the due instant
        assert new_due == CN.subtract_working_time(resumed_at, timedelta(seconds=left.seconds))
    elif left.day_end:
        assert CN.is_day_end(new_due) and new_due >= resumed_at
        # the office time left runs out on the new due day, not before it
        assert kept >= left.seconds
        assert kept - left.seconds <= CN.office_hours.day_seconds
    else:
        assert kept == pytest.approx(left.seconds, abs=1e-6)


@config
@given(any_instant, days_n, fraction, st.integers(0, 10))
def test_extension_while_stopped_equals_extension_of_the_due_date(start, n, f, k):
    due = CN.add(start, Duration("workdays", n))
    stop = between(start, due, f)
    extended = CN.remaining(stop, due).plus(Duration("workdays", k))
    assert CN.resume(stop, extended) == CN.extend(due, Duration("workdays", k))


@config
@given(any_instant, days_n, any_instant)
def test_overdue_stays_overdue(start, n, resumed_at):
    due = CN.add(start, Duration("workdays", n))
    stop = due + timedelta(hours=1)
    left = CN.remaining(stop, due)
    assert left.overdue
    assert CN.resume(resumed_at, left) <= resumed_at


@config
@given(any_instant, any_instant, any_instant)
def test_working_time_is_additive(a, b, c):
    a, b, c = sorted((a, b, c))
    assert CN.working_time_between(a, c) == CN.working_time_between(a, b) + CN.working_time_between(
        b, c
    )
    assert CN.working_seconds_between(c, a) == 0


@config
@given(any_instant, hours_n)
def test_subtract_mirrors_add(start, n):
    amount = timedelta(hours=n)
    end = CN.add_working_time(start, amount)
    back = CN.subtract_working_time(end, amount)
    # `back` is `start`, or the office opening that counting from `start` began at
    assert CN.working_time_between(min(start, back), max(start, back)) == timedelta(0)
    assert CN.working_time_between(back, end) == amount


@config
@given(any_instant, st.sampled_from(["days", "hours", "seconds"]), st.integers(0, 1000))
def test_natural_time_is_plain_arithmetic(start, unit, n):
    duration = Duration(unit, n)
    assert CN.add(start, duration) == start.astimezone(UTC) + duration.as_timedelta()
    due = CN.add(start, duration)
    left = CN.remaining(start, due, unit=unit)
    assert CN.resume(start, left) == due
