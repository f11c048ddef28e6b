"""Working-day helpers for BPMN timer expressions, and a waiting timer becoming a row."""

from __future__ import annotations

from datetime import datetime, timezone

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.domain.clock.calendar import get_calendar
from engine.package import load_package
from engine.process import calendar_functions as process_timers
from engine.sandbox import evaluate

from ..live import ROOT

FIXTURE = ROOT / "tests" / "fixtures" / "timer-escalation"


def test_workdays_give_durations_and_dates_spiffworkflow_accepts(monkeypatch):
    monday = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai
    monkeypatch.setattr(process_timers, "_wall_now", lambda: monday)
    functions = process_timers.timer_functions("CN")
    duration = evaluate("workdays(1)", functions=functions)
    parsed = TimerEventDefinition.parse_iso_duration(duration)
    due = monday + TimerEventDefinition.get_timedelta_from_start(parsed, monday)
    assert due == get_calendar("CN").add(monday, {"workdays": 1})
    assert evaluate("workhours(2)", functions=functions) == "PT7200S"
    assert TimerEventDefinition.get_datetime(
        evaluate("workdays_date(0)", functions=functions)
    ) == datetime(2026, 11, 23, 16, 0, tzinfo=timezone.utc)


def test_a_package_may_time_a_boundary_in_working_days():
    files = {p.name: p.read_bytes() for p in FIXTURE.iterdir()}
    files["timer-escalation.bpmn"] = files["timer-escalation.bpmn"].replace(
        b'"PT2S"', b"workdays(2)"
    )
    from ..helpers import zip_bytes

    package = load_package(zip_bytes(files))
    assert package.key == "timer-escalation"
