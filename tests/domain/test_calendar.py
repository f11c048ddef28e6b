"""Working-day calendar (SPEC §4): durations, the CN calendar with 调休,
office hours, stopped clocks, configuration and the HTTP arithmetic."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from engine.domain.clock.calendar import (
    Calendar,
    Duration,
    OfficeHours,
    Remaining,
    add_from_query,
    build_calendar,
    clear_calendar_cache,
    get_calendar,
)
from engine.domain.clock.settings import CalendarSettings

SH = ZoneInfo("Asia/Shanghai")
UTC = timezone.utc


def at(y, m, d, h=0, mi=0, s=0, tz=SH):
    return datetime(y, m, d, h, mi, s, tzinfo=tz)


def local(instant):
    return instant.astimezone(SH).replace(tzinfo=None)


def wd(n):
    return Duration("workdays", n)


def wh(n):
    return Duration("workhours", n)


@pytest.fixture(scope="module")
def cn():
    """The CN calendar with default settings, whatever the environment says."""
    return build_calendar("CN", CalendarSettings(OfficeHours.default(), SH, {}))


@pytest.fixture
def plain():
    """Mon–Fri, no holidays: arithmetic without the package in the way."""
    return Calendar("plain")


@pytest.fixture
def env(monkeypatch):
    for name in ("ONETHING_CALENDAR_OVERRIDES", "ONETHING_OFFICE_HOURS", "ONETHING_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    clear_calendar_cache()
    yield monkeypatch
    clear_calendar_cache()


# -- Duration -------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, unit, amount",
    [
        ({"workdays": 5}, "workdays", 5),
        ({"workdays": 2.0}, "workdays", 2),
        ({"workhours": 4}, "workhours", 4),
        ({"workhours": 0.5}, "workhours", 0.5),
        ({"days": 2}, "days", 2),
        ({"hours": 3}, "hours", 3),
        ({"seconds": 7}, "seconds", 7),
        ({"iso": "PT30S"}, "seconds", 30),
        ({"iso": "P1D"}, "days", 1),
        ({"iso": "PT4H"}, "hours", 4),
        ({"iso": "PT1M30S"}, "seconds", 90),
        ({"iso": "P2W"}, "days", 14),
        ({"iso": "P1DT2H"}, "seconds", 93600),
        ({"iso": "PT0.5H"}, "hours", 0.5),
        ({"iso": "pt4h"}, "hours", 4),
        ("PT4H", "hours", 4),
        ({"workdays": 0}, "workdays", 0),
    ],
)
def test_duration_parse(value, unit, amount):
    assert Duration.parse(value) == Duration(unit, amount)


@pytest.mark.parametrize(
    "value, words",
    [
        ({}, "exactly one"),
        ({"workdays": 1, "hours": 2}, "exactly one"),
        ({"weeks": 1}, "unknown duration key 'weeks'"),
        ({"workdays": -1}, "negative"),
        ({"hours": -0.5}, "negative"),
        ({"workdays": 1.5}, "whole number"),
        ({"workdays": "5"}, "must be a number"),
        ({"workhours": True}, "must be a number"),
        ({"hours": float("nan")}, "finite"),
        ({"days": float("inf")}, "finite"),
        ({"iso": "P"}, "bad ISO"),
        ({"iso": "PT"}, "bad ISO"),
        ({"iso": "1D"}, "bad ISO"),
        ({"iso": "P1DT"}, "bad ISO"),
        ({"iso": "P1Y"}, "years and months"),
        ({"iso": "P1M"}, "years and months"),
        ({"iso": 5}, "ISO 8601 duration string"),
        ({"iso": "PT-1H"}, "bad ISO"),
        (5, "not int"),
        (None, "not NoneType"),
        (["workdays", 5], "not list"),
    ],
)
def test_duration_parse_rejects(value, words):
    with pytest.raises(ValueError, match=words):
        Duration.parse(value)


def test_duration_constructor_checks_and_json():
    with pytest.raises(ValueError, match="unknown duration unit"):
        Duration("fortnights", 1)
    d = Duration.parse({"iso": "PT1M30S"})
    assert Duration.parse(d) is d and Duration.parse(d.to_json()) == d
    assert Duration("hours", 3).as_timedelta() == timedelta(hours=3)
    with pytest.raises(ValueError, match="no fixed length"):
        wd(1).as_timedelta()


# -- OfficeHours ----------------------------------------------------------------


def test_office_hours_default():
    hours = OfficeHours.default()
    assert hours.periods == ((time(9), time(12)), (time(13, 30), time(17, 30)))
    assert hours.day_seconds == 7 * 3600 and str(hours) == "09:00-12:00,13:30-17:30"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "9-12",
        "12:00-09:00",
        "09:00-12:00,11:00-13:00",
        "13:00-14:00,09:00-10:00",
        "25:00-26:00",
        "09:00-09:00",
    ],
)
def test_office_hours_rejects(text):
    with pytest.raises(ValueError):
        OfficeHours.parse(text)


# -- the CN calendar: 调休 from the holidays package ------------------------------


@pytest.mark.parametrize(
    "day, working",
    [
        # 2026 National Day + Mid-Autumn: 10-01..10-07 off; Sun 09-20 and Sat 10-10 worked
        (date(2026, 9, 20), True),
        (date(2026, 9, 25), False),
        (date(2026, 10, 1), False),
        (date(2026, 10, 4), False),
        (date(2026, 10, 6), False),
        (date(2026, 10, 7), False),
        (date(2026, 10, 8), True),
        (date(2026, 10, 10), True),
        (date(2026, 10, 11), False),
        # 2026 Spring Festival: 02-15..02-23 off; Sat 02-14 and Sat 02-28 worked
        (date(2026, 2, 13), True),
        (date(2026, 2, 14), True),
        (date(2026, 2, 15), False),
        (date(2026, 2, 17), False),
        (date(2026, 2, 20), False),
        (date(2026, 2, 23), False),
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), True),
        # New Year (Sun 01-04 worked), Labour Day (Sat 05-09 worked), plain days
        (date(2026, 1, 2), False),
        (date(2026, 1, 4), True),
        (date(2026, 5, 5), False),
        (date(2026, 5, 9), True),
        (date(2026, 11, 21), False),
        (date(2026, 11, 23), True),
        # half-day observances (Women's Day) are not days off
        (date(2027, 3, 8), True),
    ],
)
def test_cn_working_days(cn, day, working):
    assert cn.is_working_day(day) is working


def test_is_working_day_of_an_instant_uses_local_date(cn):
    # 2026-09-30 17:00 UTC is 10-01 01:00 in Shanghai: National Day
    assert cn.is_working_day(datetime(2026, 9, 30, 17, tzinfo=UTC)) is False
    assert cn.is_working_day(datetime(2026, 9, 30, 15, tzinfo=UTC)) is True


# -- workdays -------------------------------------------------------------------


@pytest.mark.parametrize(
    "start, n, due",
    [
        (at(2026, 9, 30, 10), 0, datetime(2026, 10, 1)),  # 即办件: end of the same day
        (at(2026, 9, 30, 10), 1, datetime(2026, 10, 9)),  # over National Day to 10-08
        (at(2026, 9, 30, 10), 3, datetime(2026, 10, 11)),  # Sat 10-10 is a make-up day
        (at(2026, 9, 30, 10), 4, datetime(2026, 10, 13)),
        (at(2026, 10, 3, 15), 1, datetime(2026, 10, 9)),  # start on a holiday
        (at(2026, 10, 3, 15), 0, datetime(2026, 10, 4)),  # N = 0 on a holiday
        (at(2026, 9, 18, 16), 1, datetime(2026, 9, 21)),  # Sun 09-20 is a make-up day
        (at(2026, 9, 21, 10), 5, datetime(2026, 9, 30)),  # skips Mid-Autumn 09-25..27
        (at(2026, 2, 13, 9), 1, datetime(2026, 2, 15)),  # Sat 02-14 worked
        (at(2026, 2, 13, 9), 2, datetime(2026, 2, 25)),  # then nothing until 02-24
        (at(2026, 2, 14, 9), 1, datetime(2026, 2, 25)),
        (at(2026, 11, 23, 23, 59, 59), 1, datetime(2026, 11, 25)),  # 23:59 still Monday
        (at(2026, 11, 23, 0, 0), 1, datetime(2026, 11, 25)),
        (at(2026, 11, 20, 18), 1, datetime(2026, 11, 24)),  # Fri evening -> Mon
        (at(2026, 11, 23, 10), 5, datetime(2026, 12, 1)),
    ],
)
def test_add_workdays(cn, start, n, due):
    result = cn.add(start, wd(n))
    assert result.tzinfo == UTC and local(result) == due


def test_workdays_count_the_local_day_of_the_instant(cn):
    monday_late = at(2026, 11, 23, 23, 59)
    same_in_utc = monday_late.astimezone(UTC)  # 15:59 UTC Monday
    tuesday_early = datetime(2026, 11, 23, 17, tzinfo=UTC)  # 01:00 Tuesday in Shanghai
    assert cn.add(monday_late, wd(1)) == cn.add(same_in_utc, wd(1)) == at(2026, 11, 25)
    assert cn.add(tuesday_early, wd(1)) == at(2026, 11, 26)
    plus_eight = monday_late.astimezone(timezone(timedelta(hours=8)))
    assert cn.add(plus_eight, wd(3)) == cn.add(same_in_utc, wd(3))


def test_naive_instants_are_refused(cn):
    with pytest.raises(ValueError, match="timezone-aware"):
        cn.add(datetime(2026, 11, 23, 10), wd(1))
    with pytest.raises(ValueError, match="timezone-aware"):
        cn.working_seconds_between(datetime(2026, 11, 23), at(2026, 11, 24))


# -- workhours and natural time ---------------------------------------------------


@pytest.mark.parametrize(
    "start, hours, due",
    [
        (at(2026, 11, 23, 11, 59), 1, datetime(2026, 11, 23, 14, 29)),  # across lunch
        (at(2026, 11, 23, 12, 30), 1, datetime(2026, 11, 23, 14, 30)),  # from lunch
        (at(2026, 11, 23, 8), 1, datetime(2026, 11, 23, 10)),  # before opening
        (at(2026, 11, 23, 9), 3, datetime(2026, 11, 23, 12)),  # ends at a close
        (at(2026, 11, 23, 9), 7, datetime(2026, 11, 23, 17, 30)),  # not next opening
        (at(2026, 11, 23, 9), 14, datetime(2026, 11, 24, 17, 30)),
        (at(2026, 11, 23, 17), 1, datetime(2026, 11, 24, 9, 30)),
        (at(2026, 11, 23, 10), 0.5, datetime(2026, 11, 23, 10, 30)),
        (at(2026, 11, 20, 17), 1, datetime(2026, 11, 23, 9, 30)),  # Fri -> Mon
        (at(2026, 9, 30, 17), 1, datetime(2026, 10, 8, 9, 30)),  # over National Day
        (at(2026, 2, 13, 17), 1, datetime(2026, 2, 14, 9, 30)),  # to a make-up Sat
        (at(2026, 10, 3, 10), 2, datetime(2026, 10, 8, 11)),  # from a holiday
        (at(2026, 11, 21, 20), 0, datetime(2026, 11, 21, 20)),  # zero stays put
    ],
)
def test_add_workhours(cn, start, hours, due):
    assert local(cn.add(start, wh(hours))) == due


def test_natural_time_ignores_the_calendar(cn):
    start = at(2026, 9, 30, 10)
    assert cn.add(start, {"days": 2}) == start + timedelta(days=2)
    assert cn.add(start, {"hours": 3}) == start + timedelta(hours=3)
    assert cn.add(start, {"iso": "PT30S"}) == start + timedelta(seconds=30)
    assert cn.add(start, "P1D").tzinfo == UTC


@pytest.mark.parametrize(
    "start, end, seconds",
    [
        (at(2026, 11, 23, 9), at(2026, 11, 23, 17, 30), 25200),
        (at(2026, 11, 23, 11), at(2026, 11, 23, 14), 5400),
        (at(2026, 11, 23, 12), at(2026, 11, 23, 13, 30), 0),
        (at(2026, 11, 23, 14), at(2026, 11, 23, 11), 0),
        (at(2026, 11, 23, 10), at(2026, 11, 23, 10), 0),
        (at(2026, 9, 30, 17), at(2026, 10, 8, 10), 5400),
        (at(2026, 11, 23), at(2026, 11, 30), 5 * 25200),
        (at(2026, 10, 1), at(2026, 10, 8), 0),
        (at(2026, 11, 23, 10).astimezone(UTC), at(2026, 11, 23, 11), 3600),
    ],
)
def test_working_seconds_between(cn, start, end, seconds):
    assert cn.working_seconds_between(start, end) == seconds


# -- extension ------------------------------------------------------------------


def test_extend_a_day_end_deadline_counts_from_its_own_day(cn):
    end_of_monday = at(2026, 11, 24)
    assert cn.extend(end_of_monday, wd(1)) == at(2026, 11, 25)
    assert cn.add(end_of_monday, wd(1)) == at(2026, 11, 26)  # add: 00:00 is Tuesday's
    assert cn.extend(at(2026, 10, 1), wd(1)) == at(2026, 10, 9)  # end of 09-30
    assert cn.extend(at(2026, 10, 1), wd(0)) == at(2026, 10, 1)


def test_extend_other_deadlines_is_add(cn):
    due = at(2026, 11, 24, 15)
    assert cn.extend(due, wd(1)) == at(2026, 11, 26)
    assert cn.extend(due, wh(3)) == cn.add(due, wh(3)) == at(2026, 11, 25, 9, 30)
    assert cn.extend(due, {"hours": 1}) == due + timedelta(hours=1)


# -- stopped clocks: remaining / resume -------------------------------------------


def test_zero_pause_gives_the_same_deadline(cn):
    start = at(2026, 9, 21, 10)
    due = cn.add(start, wd(5))
    for stop in (start, at(2026, 9, 23, 10), at(2026, 9, 25, 12), at(2026, 9, 29, 18), due):
        assert cn.resume(stop, cn.remaining(stop, due)) == due


def test_stop_before_a_holiday_resume_after_it(cn):
    # accepted Mon 09-21, 5 working days: due end of Tue 09-29 (Mid-Autumn in between)
    due = cn.add(at(2026, 9, 21, 10), wd(5))
    assert local(due) == datetime(2026, 9, 30)
    stop = at(2026, 9, 23, 10)  # 补正 on Wed: 6h + 7h (Thu) + 7h (Mon) + 7h (Tue) left
    left = cn.remaining(stop, due)
    assert left == Remaining("working", 27 * 3600.0, False, True, 25200.0)
    # resumed on Thu 10-08 at 10:00: 6h that day, Fri 10-09, Sat 10-10 (make-up), Mon 10-12
    assert local(cn.resume(at(2026, 10, 8, 10), left)) == datetime(2026, 10, 13)
    # resumed on a holiday: counting starts at the 10-08 opening, still ends on 10-12
    assert local(cn.resume(at(2026, 10, 3, 10), left)) == datetime(2026, 10, 13)
    # resumed at 10-08 17:00: half an hour that day, then 26.5h -> Tue 10-13
    assert local(cn.resume(at(2026, 10, 8, 17), left)) == datetime(2026, 10, 14)


def test_stopped_after_hours_on_the_last_day(cn):
    due = at(2026, 11, 24)  # end of Monday
    left = cn.remaining(at(2026, 11, 23, 18), due)
    assert (left.seconds, left.overdue, left.day_end) == (0, False, True)
    assert local(cn.resume(at(2026, 12, 1, 10), left)) == datetime(2026, 12, 2)


def test_overdue_clock_stays_overdue(cn):
    due = at(2026, 11, 21)  # end of Friday 11-20
    left = cn.remaining(at(2026, 11, 23, 10), due)
    assert (left.seconds, left.overdue) == (3600, True)
    assert local(cn.resume(at(2026, 11, 25, 10), left)) == datetime(2026, 11, 25, 9)
    weekend = cn.remaining(at(2026, 11, 21, 10), due)  # past due outside office hours
    assert (weekend.seconds, weekend.overdue) == (0, True)
    resumed_at = at(2026, 11, 24, 10)
    assert cn.resume(resumed_at, weekend) == resumed_at


def test_workhours_deadline_resumes_to_the_instant(cn):
    due = cn.add(at(2026, 11, 23, 11, 59), wh(1))  # 14:29
    left = cn.remaining(at(2026, 11, 23, 11, 59), due)
    assert (left.seconds, left.day_end) == (3600, False)
    assert local(cn.resume(at(2026, 11, 24, 16), left)) == datetime(2026, 11, 24, 17)
    assert local(cn.resume(at(2026, 11, 24, 17), left)) == datetime(2026, 11, 25, 9, 30)


def test_unit_overrides_the_day_end_guess(cn):
    due = at(2026, 11, 24)
    assert cn.remaining(at(2026, 11, 23, 10), due, unit="workhours").day_end is False
    assert cn.remaining(at(2026, 11, 23, 10), at(2026, 11, 23, 15), unit="workdays").day_end
    with pytest.raises(ValueError, match="unknown duration unit 'weeks'"):
        cn.remaining(at(2026, 11, 23, 10), due, unit="weeks")


def test_natural_time_left(cn):
    left = cn.remaining(at(2026, 9, 30, 10), at(2026, 10, 1, 10), unit="hours")
    assert left == Remaining("natural", 86400.0)
    assert cn.resume(at(2026, 10, 5, 8), left) == at(2026, 10, 6, 8)
    over = cn.remaining(at(2026, 10, 1, 12), at(2026, 10, 1, 10), unit="days")
    assert over.overdue and cn.resume(at(2026, 10, 5, 8), over) == at(2026, 10, 5, 6)


def test_remaining_json_round_trip(cn):
    left = cn.remaining(at(2026, 9, 23, 10), at(2026, 9, 30))
    stored = json.loads(json.dumps(left.to_json()))
    assert Remaining.from_json(stored) == left
    assert cn.resume(at(2026, 10, 8, 10), stored) == cn.resume(at(2026, 10, 8, 10), left)


@pytest.mark.parametrize(
    "data",
    [
        None,
        {},
        {"basis": "working"},
        {"basis": "x", "seconds": 1},
        {"basis": "working", "seconds": -1},
        {"basis": "working", "seconds": 1, "extra": 1},
    ],
)
def test_remaining_from_json_rejects(data):
    with pytest.raises(ValueError):
        Remaining.from_json(data)


def test_extension_while_stopped(cn):
    due = at(2026, 11, 28)  # end of Fri 11-27
    stop = at(2026, 11, 23, 10)
    left = cn.remaining(stop, due).plus(wd(1))
    assert left.seconds == (6 + 4 * 7 + 7) * 3600
    assert cn.resume(stop, left) == cn.extend(due, wd(1)) == at(2026, 12, 1)
    assert cn.remaining(stop, due).plus(wh(2)).seconds == (6 + 28 + 2) * 3600
    over = cn.remaining(at(2026, 11, 30, 10), due)  # 1h over
    assert over.plus(wd(1)) == Remaining("working", 6 * 3600.0, False, True, 25200.0)
    with pytest.raises(ValueError, match="cannot add hours to working"):
        over.plus(Duration("hours", 1))
    with pytest.raises(ValueError, match="cannot add workdays to natural"):
        Remaining("natural", 10.0).plus(wd(1))
    assert Remaining("natural", 10.0).plus({"iso": "PT5S"}).seconds == 15


# -- explicit calendars ---------------------------------------------------------


def test_plain_calendar_and_explicit_overrides():
    cal = Calendar("t", holidays={date(2026, 11, 24)}, workdays={date(2026, 11, 21)})
    assert cal.is_working_day(date(2026, 11, 21)) and not cal.is_working_day(date(2026, 11, 24))
    assert not cal.is_working_day(date(2026, 11, 22))
    assert local(cal.add(at(2026, 11, 20, 10), wd(2))) == datetime(2026, 11, 24)
    with pytest.raises(ValueError, match="both holiday and working day"):
        Calendar("t", holidays={date(2026, 1, 1)}, workdays={date(2026, 1, 1)})


def test_other_zone_and_office_hours_with_daylight_saving():
    berlin = Calendar("de", tz="Europe/Berlin", office_hours=OfficeHours.parse("08:00-16:00"))
    # 2026-03-30 is the Monday after the switch to summer time: still 8 office hours
    monday = datetime(2026, 3, 30, 8, tzinfo=ZoneInfo("Europe/Berlin"))
    assert berlin.working_seconds_between(monday, monday + timedelta(days=1)) == 8 * 3600
    due = berlin.add(datetime(2026, 3, 27, 12, tzinfo=UTC), wd(1))
    assert due == datetime(2026, 3, 30, 22, tzinfo=UTC)  # 24:00 CEST of Monday


def test_a_calendar_without_working_days_fails_instead_of_looping():
    class Never:
        def is_working_day(self, day):
            return False

    cal = Calendar("never", base=Never())
    with pytest.raises(ValueError, match="no working day"):
        cal.add(at(2026, 1, 1), wd(1))
    with pytest.raises(ValueError, match="no working day"):
        cal.add(at(2026, 1, 1), wh(1))


# -- configuration ----------------------------------------------------------------


def test_get_calendar_is_cached_and_knows_cn(env):
    assert get_calendar("CN") is get_calendar("CN") is get_calendar("cn")
    with pytest.raises(KeyError, match="unknown calendar 'XX'"):
        get_calendar("XX")


@pytest.mark.parametrize(
    "name, text",
    [
        (
            "overrides.yaml",
            "CN:\n  holidays: [2027-02-11, '2027-02-12']\n  workdays: [2027-02-13]\n",
        ),
        (
            "overrides.json",
            json.dumps(
                {"CN": {"holidays": ["2027-02-11", "2027-02-12"], "workdays": ["2027-02-13"]}}
            ),
        ),
    ],
)
def test_override_file_wins_over_the_package(env, tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    env.setenv("ONETHING_CALENDAR_OVERRIDES", str(path))
    cal = get_calendar("CN")
    assert not cal.is_working_day(date(2027, 2, 11)) and not cal.is_working_day(date(2027, 2, 12))
    assert cal.is_working_day(date(2027, 2, 13))  # a Saturday
    assert cal.is_working_day(date(2027, 2, 15)) and not cal.is_working_day(date(2026, 10, 1))


@pytest.mark.parametrize(
    "text, words",
    [
        ("XX: {holidays: [2027-01-01]}", "unknown calendars"),
        ("CN: {holiday: [2027-01-01]}", "unknown keys"),
        ("CN: {holidays: [2027-13-01]}", "YYYY-MM-DD"),
        ("CN: {holidays: ['2027-02-30']}", "YYYY-MM-DD"),
        ("CN: {holidays: 2027-01-04}", "list of dates"),
        ("CN: {holidays: [2027-01-04], workdays: [2027-01-04]}", "both holiday and working day"),
        ("[1, 2]", "mapping"),
        ("CN: [", "not valid YAML"),
    ],
)
def test_bad_override_file_fails_loudly(env, tmp_path, text, words):
    path = tmp_path / "o.yaml"
    path.write_text(text)
    env.setenv("ONETHING_CALENDAR_OVERRIDES", str(path))
    with pytest.raises(ValueError, match=words):
        get_calendar("CN")


def test_missing_override_file(env, tmp_path):
    env.setenv("ONETHING_CALENDAR_OVERRIDES", str(tmp_path / "nope.yaml"))
    with pytest.raises(ValueError, match="cannot read"):
        get_calendar("CN")


def test_office_hours_and_zone_from_env(env):
    env.setenv("ONETHING_OFFICE_HOURS", "08:30-12:00, 14:00-18:00")
    env.setenv("ONETHING_TIMEZONE", "Asia/Urumqi")
    cal = get_calendar("CN")
    assert cal.tz.key == "Asia/Urumqi" and cal.office_hours.day_seconds == 7.5 * 3600
    urumqi = ZoneInfo("Asia/Urumqi")
    assert cal.add(datetime(2026, 11, 23, 11, 30, tzinfo=urumqi), wh(1)) == datetime(
        2026, 11, 23, 14, 30, tzinfo=urumqi
    )
    env.setenv("ONETHING_TIMEZONE", "Mars/Olympus")
    clear_calendar_cache()
    with pytest.raises(ValueError, match="unknown time zone"):
        get_calendar("CN")


# -- add_from_query (GET /api/calendar/{calendar}/add) -----------------------------


@pytest.mark.parametrize(
    "from_iso, params, due",
    [
        ("2026-09-30T10:00:00+08:00", {"workdays": "1"}, datetime(2026, 10, 9)),
        ("2026-09-30T02:00:00Z", {"workdays": "1"}, datetime(2026, 10, 9)),
        ("2026-09-30T10:00:00 08:00", {"workdays": "1"}, datetime(2026, 10, 9)),  # '+' lost
        ("2026-09-30T10:00:00", {"workdays": "0"}, datetime(2026, 10, 1)),  # local
        ("2026-11-23T11:59:00+08:00", {"workhours": "1"}, datetime(2026, 11, 23, 14, 29)),
        ("2026-11-23T11:59:00+08:00", {"workhours": ["1.5"]}, datetime(2026, 11, 23, 14, 59)),
        (
            "2026-11-23T10:00:00+08:00",
            {"iso": "PT30S", "from": "x"},
            datetime(2026, 11, 23, 10, 0, 30),
        ),
        ("2026-11-23T10:00:00+08:00", {"days": "2"}, datetime(2026, 11, 25, 10)),
    ],
)
def test_add_from_query(env, from_iso, params, due):
    result = add_from_query("CN", from_iso, params)
    assert result.tzinfo == UTC and local(result) == due


@pytest.mark.parametrize(
    "from_iso, params, words",
    [
        ("yesterday", {"workdays": "1"}, "^from:"),
        (None, {"workdays": "1"}, "^from:"),
        ("2026-09-30T10:00:00+08:00", {}, "exactly one"),
        ("2026-09-30T10:00:00+08:00", {"workdays": "1", "workhours": "2"}, "workdays"),
        ("2026-09-30T10:00:00+08:00", {"weeks": "1"}, "^weeks: unknown"),
        ("2026-09-30T10:00:00+08:00", {"workdays": "abc"}, "^workdays: 'abc' is not a number"),
        ("2026-09-30T10:00:00+08:00", {"workdays": "-1"}, "^workdays must not be negative"),
        ("2026-09-30T10:00:00+08:00", {"workdays": "1.5"}, "^workdays must be a whole number"),
        ("2026-09-30T10:00:00+08:00", {"workhours": "nan"}, "^workhours must be finite"),
        ("2026-09-30T10:00:00+08:00", {"workdays": ["1", "2"]}, "^workdays: give it once"),
        ("2026-09-30T10:00:00+08:00", {"iso": "P1Y"}, "^iso: "),
    ],
)
def test_add_from_query_rejects(env, from_iso, params, words):
    with pytest.raises(ValueError, match=words):
        add_from_query("CN", from_iso, params)


def test_add_from_query_unknown_calendar(env):
    with pytest.raises(KeyError):
        add_from_query("XX", "2026-09-30T10:00:00+08:00", {"workdays": "1"})
