"""Data for the benchmarks: staff and their tokens, real cases made by the
engine, and many more cloned from them in SQL.

Cloning copies a few template cases (at intake, with parallel tasks open,
completed) with `INSERT ... SELECT` over a generated series: every row a case
owns (tasks, events, timers) is copied with the foreign keys renumbered, so a
clone is as valid as its template (same query-code salt, its own case number).
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, inspect, select, text

from engine.domain.access import Actor
from engine.domain.applicant import query_code
from engine.services import accounts, handling, intake
from engine.store.models import Case, Task

ROOT = Path(__file__).resolve().parent.parent
APPLICANT = {
    "name": "张三",
    "id_type": "id_card",
    "id_number": "330102199001011234",
    "phone": "13800138000",
}
BENCH_ADMIN = Actor("bench", frozenset(), frozenset({"admin"}))
TEMPLATE_MATTERS = ("open-restaurant", "retirement")


def example_form(key: str) -> dict:
    return json.loads((ROOT / "processes" / key / "example-form.json").read_text("utf-8"))


def example_outputs(key: str) -> dict:
    return json.loads((ROOT / "processes" / key / "example-outputs.json").read_text("utf-8"))


def department_tokens(runtime) -> dict[str, str]:
    """One handler per department (of every deployed matter), logged in once."""
    from engine.store.models import Department

    tokens = {}
    with runtime.uow() as uow:
        departments = list(uow.session.scalars(select(Department.key)))
        for key in departments:
            accounts.create_user(
                uow, None, f"bench-{key}", "bench-password", key, [key], ["handler"]
            )
        uow.commit()
    with runtime.uow() as uow:
        for key in departments:
            tokens[key], _ = accounts.login(uow, f"bench-{key}", "bench-password", 12)
        uow.commit()
    return tokens


def agent_token(runtime) -> str:
    """A 12345 agent of the centre, logged in."""
    with runtime.uow() as uow:
        accounts.create_user(
            uow, None, "bench-agent", "bench-password", "agent", ["center-12345"], ["agent"]
        )
        uow.commit()
    with runtime.uow() as uow:
        token, _ = accounts.login(uow, "bench-agent", "bench-password", 12)
        uow.commit()
    return token


def submit(runtime, key: str, form: dict | None = None) -> int:
    return submitted(runtime, key, form)[0]


def submitted(runtime, key: str, form: dict | None = None) -> tuple[int, list[tuple[int, str]]]:
    """A new case of matter `key`: its id and the tasks its intake left ready."""
    with runtime.uow() as uow:
        case, _ = intake.submit_case(
            uow, key, APPLICANT, example_form(key) if form is None else form
        )
        ready = _ready(case)
        uow.commit()
        return case.id, ready


def _ready(case) -> list[tuple[int, str]]:
    """(id, task) of the case's ready tasks as the operation that changed it left
    them: what its caller learns without reading them again."""
    return [(t.id, t.task) for t in case.tasks if t.state == "ready"]


def ready_tasks(runtime, case_id: int) -> list[tuple[int, str]]:
    with runtime.uow() as uow:
        return [
            (r.id, r.task)
            for r in uow.session.execute(
                select(Task.id, Task.task)
                .where(Task.case_id == case_id, Task.state == "ready")
                .order_by(Task.id)
            )
        ]


def complete(runtime, task_id: int, data: dict) -> list[tuple[int, str]]:
    """Complete a task; returns the case's ready tasks after it."""
    with runtime.uow() as uow:
        ready = _ready(handling.complete(uow, BENCH_ADMIN, task_id, data).case)
        uow.commit()
        return ready


def drive(
    runtime, outputs: dict, case_id: int, ready: list | None = None, max_steps: int = 50
) -> int:
    """Complete the first ready task with its example output until the case ends;
    returns the steps. Each completion tells the next ready tasks (as the naive
    engine's loaded workflow tells it), so only a case given without them is read."""
    ready = ready_tasks(runtime, case_id) if ready is None else ready
    steps = 0
    while ready:
        if steps == max_steps:
            raise RuntimeError(f"case {case_id} did not end within {max_steps} steps")
        task_id, task = ready[0]
        ready = complete(runtime, task_id, outputs[task])
        steps += 1
    return steps


def make_templates(runtime) -> list[int]:
    """Per matter: one case just submitted, one with its parallel tasks open, one completed."""
    ids = []
    for key in TEMPLATE_MATTERS:
        outputs = example_outputs(key)
        ids.append(submit(runtime, key))
        opened = submit(runtime, key)
        for task_id, task in ready_tasks(runtime, opened):
            complete(runtime, task_id, outputs[task])
        ids.append(opened)
        done = submit(runtime, key)
        drive(runtime, outputs, done)
        ids.append(done)
    return ids


def case_count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Case)).scalar_one()


def _columns(engine, table: str) -> list[str]:
    return [c["name"] for c in inspect(engine).get_columns(table)]


def _q(name: str) -> str:
    return f'"{name}"'


def clone_cases(
    engine, templates: list[int], target: int, chunk: int = 2000, skip: tuple[str, ...] = ()
) -> int:
    """Add clones of `templates` until the database holds at least `target` cases (their
    tasks, and the rows of every table naming a case but those in `skip`)."""
    have = case_count(engine)
    if have >= target:
        return 0
    copies = -(-(target - have) // len(templates))
    postgres = engine.dialect.name == "postgresql"
    pad = "lpad(CAST({} AS TEXT), 8, '0')" if postgres else "printf('%08d', {})"
    case_cols = [
        c for c in _columns(engine, "case") if c not in ("id", "case_no", "idempotency_key")
    ]
    task_cols = [c for c in _columns(engine, "task") if c not in ("id", "case_id")]
    children = [
        t
        for t in inspect(engine).get_table_names()
        if t not in ("case", "task", "rating", *skip) and "case_id" in _columns(engine, t)
    ]
    child_columns = {t: _columns(engine, t) for t in children}
    with engine.begin() as conn:
        for name in ("bench_tmpl", "bench_tmpl_task"):
            conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
        conn.execute(text("CREATE TABLE bench_tmpl (case_id INTEGER, rn INTEGER)"))
        conn.execute(text("CREATE TABLE bench_tmpl_task (task_id INTEGER, rn INTEGER)"))
        for rn, case_id in enumerate(templates):
            conn.execute(text("INSERT INTO bench_tmpl VALUES (:c, :r)"), {"c": case_id, "r": rn})
        task_ids = list(
            conn.execute(
                select(Task.id).where(Task.case_id.in_(templates)).order_by(Task.id)
            ).scalars()
        )
        for rn, task_id in enumerate(task_ids):
            conn.execute(
                text("INSERT INTO bench_tmpl_task VALUES (:t, :r)"), {"t": task_id, "r": rn}
            )
    n_cases, n_tasks = len(templates), len(task_ids)
    done = 0
    while done < copies:
        k = min(chunk, copies - done)
        with engine.begin() as conn:
            # above every id handed out: the servers' connections keep blocks of the
            # sequences not yet used (engine.store.db.next_ids)
            case_base, task_base = (_id_base(conn, table, postgres) for table in ("case", "task"))
            series = (
                f"WITH RECURSIVE s(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM s "
                f"WHERE k < {k - 1}) "
            )
            new_case = f"({case_base} + s.k * {n_cases} + t.rn + 1)"
            new_task = f"({task_base} + s.k * {n_tasks} + tt.rn + 1)"
            cols = ", ".join(_q(c) for c in case_cols)
            conn.execute(
                text(
                    f'{series} INSERT INTO "case" (id, case_no, {cols}) '
                    f"SELECT {new_case}, substr(c.case_no, 1, 8) || {pad.format(new_case)}, "
                    f"{', '.join('c.' + _q(c) for c in case_cols)} "
                    f'FROM s, bench_tmpl t JOIN "case" c ON c.id = t.case_id'
                )
            )
            cols = ", ".join(_q(c) for c in task_cols)
            conn.execute(
                text(
                    f"{series} INSERT INTO task (id, case_id, {cols}) "
                    f"SELECT {new_task}, {new_case}, {', '.join('x.' + _q(c) for c in task_cols)} "
                    f"FROM s, bench_tmpl_task tt JOIN task x ON x.id = tt.task_id "
                    f"JOIN bench_tmpl t ON t.case_id = x.case_id"
                )
            )
            for table in children:
                _clone_child(conn, table, child_columns[table], series, new_case, new_task)
        done += k
    with engine.begin() as conn:
        if postgres:
            for table in ("case", "task", *children):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{_q(table)}', 'id'), "
                        f"(SELECT max(id) FROM {_q(table)}))"
                    )
                )
        conn.execute(text("DROP TABLE bench_tmpl"))
        conn.execute(text("DROP TABLE bench_tmpl_task"))
    analyze(engine)
    return copies * n_cases


def _id_base(conn, table: str, postgres: bool) -> int:
    """The largest id of `table` stored or, on PostgreSQL, taken from its sequence."""
    stored = conn.execute(text(f"SELECT coalesce(max(id), 0) FROM {_q(table)}")).scalar_one()
    if not postgres:
        return stored
    sequence = conn.execute(
        text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": _q(table)}
    ).scalar_one()
    return max(stored, conn.execute(text(f"SELECT last_value FROM {sequence}")).scalar_one())


def _clone_child(
    conn, table: str, columns: list[str], series: str, new_case: str, new_task: str
) -> None:
    cols = [c for c in columns if c not in ("id", "case_id", "task_id")]
    has_task = "task_id" in columns
    names = ", ".join(["case_id", *(["task_id"] if has_task else []), *map(_q, cols)])
    task_expr = f"CASE WHEN e.task_id IS NULL THEN NULL ELSE {new_task} END, " if has_task else ""
    join_task = "LEFT JOIN bench_tmpl_task tt ON tt.task_id = e.task_id" if has_task else ""
    conn.execute(
        text(
            f"{series} INSERT INTO {_q(table)} ({names}) "
            f"SELECT {new_case}, {task_expr}{', '.join('e.' + _q(c) for c in cols)} "
            f"FROM s, {_q(table)} e JOIN bench_tmpl t ON t.case_id = e.case_id {join_task}"
        )
    )


def analyze(engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def progress_targets(engine, secret: str, n: int, seed: int) -> list[tuple[str, str]]:
    """(case_no, query_code) of `n` cases spread over the whole table."""
    import random

    rnd = random.Random(seed)
    with engine.connect() as conn:
        top = conn.execute(text('SELECT max(id) FROM "case"')).scalar_one()
        ids = rnd.sample(range(1, top + 1), min(n * 2, top))
        rows = conn.execute(select(Case.case_no, Case.code_salt).where(Case.id.in_(ids))).all()
    rnd.shuffle(rows)
    return [(r.case_no, query_code(secret, r.case_no, r.code_salt)) for r in rows[:n]]
