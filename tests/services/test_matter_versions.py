"""Deployed matter versions are read once per process (engine.matters.version):
loading a case sets its matter from there instead of reading and parsing the
matter's row again, and the shared object never joins a session."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from engine.services import flow, intake
from engine.store import matters
from engine.store.models import Case

from ..helpers import (
    APPLICANT,
    complete_a_ready_task,
    example_form,
    sent_to_database,
    sql_text,
    submit_case,
)

KEY = "retirement"


@pytest.fixture
def matter_reads(runtime):
    """Statements that read a matter's whole row (definition, form, files)."""
    with sent_to_database(runtime) as seen:
        yield _Reads(seen)


class _Reads:
    """The messages of `seen` that read a matter's row."""

    def __init__(self, seen):
        self.seen = seen

    def __len__(self) -> int:
        return sum(1 for m in map(sql_text, self.seen) if "matter.definition" in m)


def test_a_version_is_read_once_for_every_case_of_it(runtime, matter_reads):
    first, second = submit_case(runtime, KEY), submit_case(runtime, KEY)
    with runtime.uow() as uow:
        one, two = (flow.lock_case(uow, first), flow.lock_case(uow, second))
        assert one.matter is two.matter
        assert one.matter.key == KEY and one.matter.definition["key"] == KEY
    complete_a_ready_task(runtime, first, KEY)
    assert len(matter_reads) == 1


def test_the_shared_version_never_joins_a_session(runtime):
    with runtime.uow() as uow:
        case, _ = intake.submit_case(uow, KEY, APPLICANT, example_form(KEY))
        shared = case.matter
        uow.commit()
        assert inspect(shared).detached
    with runtime.uow() as uow:
        case = uow.session.get(Case, case.id)
        assert case.matter is shared and inspect(shared).detached
        assert matters.latest(uow, KEY) is shared


def test_each_runtime_reads_its_own_database(runtime, prepared, clock):
    """The versions belong to a session factory: another runtime reads again."""
    from engine.runtime import Runtime

    case_id = submit_case(runtime, KEY)
    other = Runtime(prepared, clock=clock)
    try:
        with runtime.uow() as uow:
            mine = uow.session.get(Case, case_id).matter
        with other.uow() as theirs:  # one at a time: SQLite has one writer
            assert theirs.session.get(Case, case_id).matter is not mine
    finally:
        other.close()
