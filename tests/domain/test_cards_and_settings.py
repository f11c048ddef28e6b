"""The business words defined once (engine.domain): statuses, the card rule, and the
typed view of a matter's settings with its defaults applied. No database."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from engine.domain.cards import level_at, outlook
from engine.domain.clock.calendar import get_calendar
from engine.domain.matter import DEFAULT_CASE_WARN, DEFAULT_TASK_WARN
from engine.domain.statuses import ENDED, OPEN, Card, CaseStatus, TaskState, clock_running
from engine.package import load_package

from ..helpers import ROOT

UTC = timezone.utc
MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 Asia/Shanghai, a working day


def test_statuses_are_the_stored_strings():
    assert CaseStatus.COMPLETED == "completed" and "completed" in ENDED
    assert "ready" in OPEN and TaskState.CANCELLED not in OPEN
    assert clock_running("in_progress") and not clock_running("awaiting_supplement")
    assert {str(card) for card in Card} == {"none", "yellow", "red"}


def test_the_card_rule_and_its_next_changes():
    due = MONDAY_10 + timedelta(days=3)
    warn = {"hours": 24}
    level, changes = outlook(MONDAY_10, "CN", due, warn)
    assert level == Card.NONE
    assert changes == ((Card.YELLOW, due - timedelta(hours=24)), (Card.RED, due))
    level, changes = outlook(due - timedelta(hours=1), "CN", due, warn)
    assert (level, changes) == (Card.YELLOW, ((Card.RED, due),))
    assert outlook(due, "CN", due, warn) == (Card.RED, ())  # red at the due instant itself
    just_before = due - timedelta(seconds=1)
    assert level_at(just_before, due, just_before) == Card.YELLOW
    assert level_at(just_before, due, due) == Card.NONE


def test_a_working_day_warning_before_a_day_end_deadline_is_the_previous_day_end():
    cal = get_calendar("CN")
    due = cal.add(MONDAY_10, {"workdays": 2})  # Wednesday 24:00 local
    level, ((_, yellow_at), _) = outlook(MONDAY_10, "CN", due, {"workdays": 1})
    assert level == Card.NONE and cal.is_day_end(yellow_at)
    second = timedelta(seconds=1)
    assert cal.local_date(yellow_at - second) == cal.local_date(due - second) - timedelta(1)


def test_the_settings_of_a_package_are_typed_with_their_defaults_applied():
    settings = load_package((ROOT / "processes" / "retirement", ROOT / "bpmn")).settings
    assert settings.key == "retirement" and settings.calendar == "CN"
    assert settings.lead_department in settings.departments
    assert settings.departments[settings.lead_department].lead
    unknown = settings.task("no-such-task")
    assert unknown.due is None and unknown.form is None
    assert dict(unknown.warn_before) == dict(DEFAULT_TASK_WARN)
    assert dict(settings.warn_before or DEFAULT_CASE_WARN)
    assert settings.deadline["warn_before"] == dict(settings.warn_before)
    assert settings.acceptance in {task for task in settings.tasks} | {settings.acceptance}
