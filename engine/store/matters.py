"""Deployed matter versions: stored, read once per process, listed."""

from __future__ import annotations

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from ..errors import NotFound
from .db import MATTER_VERSIONS
from .models import Case, Department, Matter
from .plain import select_rows

_LATEST = (
    select(Matter.id).where(Matter.key == bindparam("key")).order_by(Matter.version.desc()).limit(1)
)


def latest(uow, key: str) -> Matter:
    """The newest deployed version of a matter (every intake asks: a plain statement,
    see engine.store.plain.select_rows)."""
    found = select_rows(uow.session, _LATEST, {"key": key})
    if not found:
        raise NotFound(f"no matter {key!r}")
    return version(uow.session, found[0]["id"])


_VERSION = select(Matter.__table__).where(Matter.__table__.c.id == bindparam("id"))


def version(session, matter_id: int) -> Matter:
    """A deployed matter version, read from the database once per session factory.

    A version never changes once deployed, so one detached `Matter` (files
    included) serves every session of the process, read-only: loading a case
    no longer reads and parses its matter's definition, form and title (some
    8 KB of JSON) every time. The row is read through the session's connection,
    so that it cannot flush what the caller has changed."""
    versions = session.info[MATTER_VERSIONS]  # every session comes from db.make_session_factory
    hit = versions.get(matter_id)
    if hit is None:
        row = session.connection().execute(_VERSION, {"id": matter_id}).one_or_none()
        if row is None:
            raise NotFound(f"no matter version {matter_id}")
        hit = Matter(**row._mapping)
        make_transient_to_detached(hit)  # as if loaded, and never to be written
        versions[matter_id] = hit
    return hit


def attach_version(session, case: Case) -> None:
    """A loaded case's matter, from the versions read once (not added to the session).
    The ORM's loads get it by the hooks below; engine.store.cases calls it for the
    case rows it makes into objects itself."""
    if "matter_id" in case.__dict__:
        set_committed_value(case, "matter", version(session, case.matter_id))


def attach_loaded(case: Case, context) -> None:
    """Mapper hook (engine.store.hooks): a case the ORM loaded."""
    attach_version(context.session, case)


def attach_refreshed(case: Case, context, _attrs) -> None:
    """Mapper hook: a case the ORM refreshed."""
    attach_version(context.session, case)


def newest_version(session, key: str) -> int | None:
    return session.scalar(select(func.max(Matter.version)).where(Matter.key == key))


def catalogue(uow) -> list[Matter]:
    newest = (
        select(Matter.key, func.max(Matter.version).label("version"))
        .group_by(Matter.key)
        .subquery()
    )
    return list(
        uow.session.scalars(
            select(Matter)
            .join(newest, (Matter.key == newest.c.key) & (Matter.version == newest.c.version))
            .order_by(Matter.key)
        )
    )


def versions(uow, key: str) -> list[Matter]:
    rows = list(
        uow.session.scalars(select(Matter).where(Matter.key == key).order_by(Matter.version))
    )
    if not rows:
        raise NotFound(f"no matter {key!r}")
    return rows


def at_version(uow, key: str, number: int) -> Matter:
    matter = uow.session.scalar(select(Matter).where(Matter.key == key, Matter.version == number))
    if matter is None:
        raise NotFound(f"no matter {key!r} version {number}")
    return matter


def department_names(uow) -> dict[str, dict]:
    return {d.key: d.name for d in uow.session.scalars(select(Department))}
