"""The database schema: the source of truth for matters, cases, tasks and time.

Workflow state is kept small (the form lives once in `case.form`, never in
SpiffWorkflow task data) and every change to a case is an `Event` row.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC in and out, on SQLite (naive storage) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Matter(Base):
    """One deployed version of a matter package; files are kept verbatim."""

    __tablename__ = "matter"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int]
    title: Mapped[dict[str, Any]]
    definition: Mapped[dict[str, Any]]  # the parsed matter.yaml
    form_schema: Mapped[dict[str, Any]]
    # file name -> text; deferred: only a spec-cache miss or a diagram reads it
    files: Mapped[dict[str, Any]] = mapped_column(deferred=True)
    digest: Mapped[str] = mapped_column(String(64))  # sha256 of the files: names the parsed spec
    deployed_at: Mapped[datetime]
    deployed_by: Mapped[str | None] = mapped_column(String(100))


class Department(Base):
    """A unit of the organisation (单位): a node of one tree (SPEC §7).

    `key` is global: a matter's lane names it (or, for a lane dispatched at run
    time, the unit it was dispatched to). `path` is the keys from the root down,
    `/city/district/street/`, so that a unit's subtree is one prefix match."""

    __tablename__ = "department"
    __table_args__ = (
        Index("ix_department_parent", "parent"),
        Index("ix_department_region", "region_code"),
        Index("ix_department_path", "path", postgresql_ops={"path": "text_pattern_ops"}),
    )

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[dict[str, Any]]
    kind: Mapped[str] = mapped_column(String(20), default="department")
    parent: Mapped[str | None] = mapped_column(String(100), ForeignKey("department.key"))
    region_code: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    path: Mapped[str] = mapped_column(String(2000), default="")


class RoutingRow(Base):
    """A row of a routing table (派单目录): requests of `category` in `region` go to
    `department` (`*` for any; codes and code prefixes; the most specific row wins)."""

    __tablename__ = "routing_row"
    __table_args__ = (Index("ix_routing_lookup", "table_key", "region", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    table_key: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(50))
    region: Mapped[str] = mapped_column(String(30))
    department: Mapped[str] = mapped_column(String(100))


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(200))
    departments: Mapped[list[Any]]
    roles: Mapped[list[Any]]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class ApiToken(Base):
    """A staff session; only the token's hash is stored."""

    __tablename__ = "api_token"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class Case(Base):
    __tablename__ = "case"
    __table_args__ = (
        Index("ix_case_matter_status", "matter_id", "status"),
        Index("ix_case_submitted_at", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_no: Mapped[str | None] = mapped_column(String(32), unique=True)
    code_salt: Mapped[str] = mapped_column(String(32))  # the query code is derived, not stored
    matter_id: Mapped[int] = mapped_column(ForeignKey("matter.id"))
    status: Mapped[str] = mapped_column(String(32))
    applicant: Mapped[dict[str, Any]]
    form: Mapped[dict[str, Any]]
    results: Mapped[dict[str, Any]] = mapped_column(default=dict)
    missing_materials: Mapped[list[Any]] = mapped_column(default=list)
    submitted_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]  # promised limit (承诺时限)
    statutory_due_at: Mapped[datetime | None]  # statutory limit (法定时限)
    completed_at: Mapped[datetime | None]  # when the case ended, whatever the end
    working_seconds: Mapped[float | None] = mapped_column(
        Float
    )  # accepted -> completed, office time
    warning: Mapped[str] = mapped_column(String(16), default="none")
    clock: Mapped[dict[str, Any]] = mapped_column(default=dict)  # stopped-clock bookkeeping
    workflow_state: Mapped[bytes | None] = mapped_column(LargeBinary)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))
    lock_version: Mapped[int] = mapped_column(Integer, default=0)

    # set from the deployed versions read once per process when a case is loaded
    # (engine.store.matters.version); a lazy load only if that was bypassed
    matter: Mapped[Matter] = relationship()
    # in the order they opened: ids are unique, not in time order (engine.store.db.next_ids)
    tasks: Mapped[list["Task"]] = relationship(
        back_populates="case", order_by="[Task.started_at, Task.id]"
    )

    __mapper_args__ = {"version_id_col": lock_version}


class Task(Base):
    """A user task of a case: one department's piece of work."""

    __tablename__ = "task"
    __table_args__ = (
        Index("ix_task_department_state", "department", "state"),
        Index("ix_task_case", "case_id"),
        Index(
            "ix_task_parent",
            "parent_id",
            postgresql_where=text("parent_id IS NOT NULL"),
            sqlite_where=text("parent_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"))
    spiff_id: Mapped[str] = mapped_column(String(36))
    task: Mapped[str] = mapped_column(String(200))  # BPMN user-task id
    name: Mapped[str] = mapped_column(String(300))
    department: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(16))
    assignee: Mapped[str | None] = mapped_column(String(100))
    data: Mapped[dict[str, Any] | None]
    started_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(100))
    due_at: Mapped[datetime | None]
    warning: Mapped[str] = mapped_column(String(16), default="none")
    clock: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # the BPMN lane the task sits in: its department, unless the lane is dispatched at
    # run time (then the unit it went to is `department`); None on tasks made before
    lane: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16), default="process")  # TaskKind
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))  # an assist's task
    # run-time dispatch: {dispatcher, dispatched_at, returns, disputed, returned_from}
    dispatch: Mapped[dict[str, Any]] = mapped_column(default=dict)

    case: Mapped[Case] = relationship(back_populates="tasks")


class Event(Base):
    """Append-only history of a case: who, when, what, old -> new."""

    __tablename__ = "event"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(50))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))
    old: Mapped[dict[str, Any] | None]
    new: Mapped[dict[str, Any] | None]
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str | None] = mapped_column(Text)


class Rating(Base):
    __tablename__ = "rating"

    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), primary_key=True)
    score: Mapped[int]
    comment: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]


class Timer(Base):
    """A durable timer: the database, not Redis, remembers what is due.

    A timer is pending while `fired_at` and `cancelled_at` are both empty; the
    partial index `ix_timer_due` holds only pending timers, so the scheduler's
    poll costs what is due, not what exists. `enqueued_at` says when a
    scheduler last handed it to a worker: if it has not fired some seconds
    later (worker killed, Redis lost), it is handed out again. `key` names what
    the timer is for within its case ("task:12:red", "case:yellow",
    "bpmn:<task uuid>"), so that rescheduling can compare wanted with pending.
    """

    __tablename__ = "timer"
    __table_args__ = (
        Index(
            "ix_timer_due",
            "due_at",
            postgresql_where=text("fired_at IS NULL AND cancelled_at IS NULL"),
            sqlite_where=text("fired_at IS NULL AND cancelled_at IS NULL"),
        ),
        Index(
            "ix_timer_fired_at",
            "fired_at",  # how late timers fired (monitoring)
            postgresql_where=text("fired_at IS NOT NULL"),
            sqlite_where=text("fired_at IS NOT NULL"),
        ),
        # a case's pending timers, read by every operation on it: only pending ones
        # are indexed, so the planner has no better choice and the index does
        # not grow with the fired and cancelled timers of the years
        Index(
            "ix_timer_case_pending",
            "case_id",
            postgresql_where=text("fired_at IS NULL AND cancelled_at IS NULL"),
            sqlite_where=text("fired_at IS NULL AND cancelled_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str | None] = mapped_column(String(100))
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))
    due_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    enqueued_at: Mapped[datetime | None]
    fired_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]


# a timer still to fire (the partial indexes hold only these)
PENDING_TIMER = (Timer.fired_at.is_(None), Timer.cancelled_at.is_(None))
# a pending timer's fields, in the order engine.timers' Pending has them
PENDING_TIMER_COLUMNS = (Timer.id, Timer.kind, Timer.key, Timer.due_at, Timer.task_id)


class Category(Base):
    """A category of the request catalogue (诉求分类): a code, on 2-3 levels."""

    __tablename__ = "category"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[dict[str, Any]]
    parent: Mapped[str | None] = mapped_column(String(12))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Request(Base):
    """A citizen's request (诉求, SPEC §8): its case's searchable and countable facts.

    One row per case of a `kind: request` matter, kept in step by the request services
    in the same transaction as the case."""

    __tablename__ = "request"
    __table_args__ = (
        Index("ix_request_phone", "caller_phone", "created_at"),
        Index("ix_request_region", "region", "created_at"),
        Index("ix_request_created", "created_at"),
        Index(
            "ix_request_linked",
            "linked_to",
            postgresql_where=text("linked_to IS NOT NULL"),
            sqlite_where=text("linked_to IS NOT NULL"),
        ),
    )

    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(12))
    street: Mapped[str | None] = mapped_column(String(100))  # the unit of kind street there
    urgency: Mapped[str] = mapped_column(String(12))
    caller_phone: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    linked_to: Mapped[int | None] = mapped_column(ForeignKey("case.id"))
    unit: Mapped[str | None] = mapped_column(String(100))  # who handles (handled) it
    replied_at: Mapped[datetime | None]
    contacted_at: Mapped[datetime | None]
    contact_late: Mapped[bool] = mapped_column(Boolean, default=False)
    resolved: Mapped[bool | None] = mapped_column(Boolean)
    visited_at: Mapped[datetime | None]
    visit: Mapped[dict[str, Any] | None]  # {contacted, resolved, satisfaction, by, unit, day}
    reopens: Mapped[int] = mapped_column(Integer, default=0)


class RequestStat(Base):
    """Visits per unit and day (the three rates' counts), kept in the visit's transaction:
    a ranking of any period sums a few rows per unit instead of scanning the requests."""

    __tablename__ = "request_stat"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    unit: Mapped[str] = mapped_column(String(100), primary_key=True)
    visited: Mapped[int] = mapped_column(Integer, default=0)
    contacted: Mapped[int] = mapped_column(Integer, default=0)
    resolved: Mapped[int] = mapped_column(Integer, default=0)
    satisfied: Mapped[int] = mapped_column(Integer, default=0)
    basically: Mapped[int] = mapped_column(Integer, default=0)


class RequestCount(Base):
    """Requests per month, category and region (the hot spots' counts), kept in the
    intake's transaction."""

    __tablename__ = "request_count"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    category: Mapped[str] = mapped_column(String(12), primary_key=True)
    region: Mapped[str] = mapped_column(String(12), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
