"""Deploying matter packages as versions, and reading the catalogue."""
from __future__ import annotations

import hashlib
import logging

import orjson
from pathlib import Path

from sqlalchemy import bindparam, event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from .access import Actor
from .db import MATTER_VERSIONS, select_rows
from .errors import Conflict, Invalid, NotFound
from .models import Case, Department, Matter
from .package import MatterPackage, PackageInvalid, load_package

log = logging.getLogger(__name__)


def deploy(uow, actor: Actor | None, source) -> Matter:
    """Validate a package (all problems at once) and store it as the key's next version."""
    if actor is not None:
        actor.require_role("analyst")
    try:
        package = load_package(source)
    except PackageInvalid as exc:
        problems = [p.to_json() for p in exc.problems]
        errors: dict[str, list[str]] = {}
        for p in exc.problems:
            errors.setdefault(f"{p.file}#{p.element}" if p.element else p.file, []).append(p.message)
        raise Invalid(f"the package has {len(problems)} problem(s)", errors=errors,
                      problems=problems) from None
    return _store(uow, package, actor.username if actor else "system")


def _store(uow, package: MatterPackage, deployed_by: str) -> Matter:
    files = {name: data.decode("utf-8") for name, data in sorted(package.files.items())}
    digest = hashlib.sha256(orjson.dumps(files, option=orjson.OPT_SORT_KEYS)).hexdigest()
    latest = uow.session.scalar(select(func.max(Matter.version)).where(Matter.key == package.key))
    matter = Matter(key=package.key, version=(latest or 0) + 1, title=package.title,
                    definition=package.raw, form_schema=package.form_schema,
                    files=files, digest=digest,
                    deployed_at=uow.now(), deployed_by=deployed_by)
    for key, department in package.departments.items():
        row = uow.session.get(Department, key)
        if row is None:
            uow.session.add(Department(key=key, name=department["name"]))
        else:
            row.name = department["name"]
    uow.session.add(matter)
    try:
        uow.session.flush()
    except IntegrityError:
        raise Conflict(f"another version of {package.key} was deployed at the same time; "
                       "deploy again") from None
    return matter


def load_examples(uow, processes_dir: Path, bpmn_dir: Path) -> list[str]:
    """Deploy each shipped example whose key has no version yet (first start)."""
    loaded = []
    for matter_dir in sorted(p for p in processes_dir.iterdir() if (p / "matter.yaml").exists()):
        package = load_package((matter_dir, bpmn_dir))
        if uow.session.scalar(select(Matter.id).where(Matter.key == package.key)) is None:
            _store(uow, package, "system")
            loaded.append(package.key)
    return loaded


_LATEST = (select(Matter.id).where(Matter.key == bindparam("key"))
           .order_by(Matter.version.desc()).limit(1))


def latest(uow, key: str) -> Matter:
    """The newest deployed version of a matter (every intake asks: a plain statement,
    see db.select_rows)."""
    found = select_rows(uow.session, _LATEST, {"key": key})
    if not found:
        raise NotFound(f"no matter {key!r}")
    return version(uow.session, found[0]["id"])


# -- deployed versions, read once per process ------------------------------------

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
    The ORM's loads get it by the events below; engine.cases calls it for the case
    rows it makes into objects itself."""
    if "matter_id" in case.__dict__:
        set_committed_value(case, "matter", version(session, case.matter_id))


@event.listens_for(Case, "load")
def _matter_of_loaded_case(case: Case, context) -> None:
    attach_version(context.session, case)


@event.listens_for(Case, "refresh")
def _matter_of_refreshed_case(case: Case, context, _attrs) -> None:
    attach_version(context.session, case)


def catalogue(uow) -> list[Matter]:
    newest = (select(Matter.key, func.max(Matter.version).label("version"))
              .group_by(Matter.key).subquery())
    return list(uow.session.scalars(
        select(Matter).join(newest, (Matter.key == newest.c.key)
                            & (Matter.version == newest.c.version)).order_by(Matter.key)))


def versions(uow, key: str) -> list[Matter]:
    rows = list(uow.session.scalars(
        select(Matter).where(Matter.key == key).order_by(Matter.version)))
    if not rows:
        raise NotFound(f"no matter {key!r}")
    return rows


def department_names(uow) -> dict[str, dict]:
    return {d.key: d.name for d in uow.session.scalars(select(Department))}
