"""Runs in a separate process: completes one task per round, in step with a peer."""

from __future__ import annotations

import time


def complete_in_rounds(settings, work: list[tuple[int, dict]], barrier, results) -> None:
    from engine.domain.access import Actor
    from engine.runtime import Runtime
    from engine.services import handling

    runtime = Runtime(settings)
    actor = Actor("admin", frozenset(), frozenset({"admin"}))
    timings = []
    errors = []
    for task_id, data in work:
        barrier.wait(timeout=60)
        started = time.perf_counter()
        try:
            with runtime.uow() as uow:
                handling.complete(uow, actor, task_id, data)
                uow.commit()
        except Exception as exc:  # reported to the parent, which fails the test
            errors.append(f"{task_id}: {type(exc).__name__}: {exc}")
        timings.append(time.perf_counter() - started)
    runtime.close()
    results.put({"timings": timings, "errors": errors})


def submit_in_rounds(settings, key: str, form: dict, rounds: int, barrier, results) -> None:
    """One intake per round, at the same instant as the peer's."""
    from engine.runtime import Runtime
    from engine.services import intake

    from .helpers import APPLICANT

    runtime = Runtime(settings)
    made, errors = [], []
    for _ in range(rounds):
        barrier.wait(timeout=60)
        try:
            with runtime.uow() as uow:
                case, _ = intake.submit_case(uow, key, APPLICANT, form)
                uow.commit()
                made.append((case.id, case.case_no))
        except Exception as exc:  # reported to the parent, which fails the test
            errors.append(f"{type(exc).__name__}: {exc}")
    runtime.close()
    results.put({"made": made, "errors": errors})


def act_at(
    settings, at, username: str, departments: list[str], action: str, args: tuple, barrier, results
) -> None:
    """One staff action (engine.services.handling's `action`) at the instant `at`, in step
    with a peer; reports "ok" or the domain error's code."""
    from engine.domain.access import Actor
    from engine.domain.clock.now import FixedClock
    from engine.errors import DomainError
    from engine.runtime import Runtime
    from engine.services import handling

    runtime = Runtime(settings, clock=FixedClock(at))
    actor = Actor(username, frozenset(departments), frozenset({"handler"}))
    barrier.wait(timeout=60)
    try:
        with runtime.uow() as uow:
            getattr(handling, action)(uow, actor, *args)
            uow.commit()
        outcome = "ok"
    except DomainError as exc:
        outcome = f"{exc.status} {exc.code}: {exc.detail}"
    runtime.close()
    results.put({"action": action, "outcome": outcome, "errors": []})
