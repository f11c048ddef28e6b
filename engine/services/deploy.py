"""Deploying matter packages as versions (inside the caller's unit of work)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import orjson
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..domain.access import Actor
from ..errors import Conflict, Invalid
from ..package import MatterPackage, PackageInvalid, load_package
from ..store import organisation
from ..store.matters import newest_version
from ..store.models import Matter


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
            errors.setdefault(f"{p.file}#{p.element}" if p.element else p.file, []).append(
                p.message
            )
        raise Invalid(
            f"the package has {len(problems)} problem(s)", errors=errors, problems=problems
        ) from None
    return _store(uow, package, actor.username if actor else "system")


def _store(uow, package: MatterPackage, deployed_by: str) -> Matter:
    files = {name: data.decode("utf-8") for name, data in sorted(package.files.items())}
    digest = hashlib.sha256(orjson.dumps(files, option=orjson.OPT_SORT_KEYS)).hexdigest()
    latest = newest_version(uow.session, package.key)
    matter = Matter(
        key=package.key,
        version=(latest or 0) + 1,
        title=package.title,
        definition=package.raw,
        form_schema=package.form_schema,
        files=files,
        digest=digest,
        deployed_at=uow.now(),
        deployed_by=deployed_by,
    )
    for key, department in package.settings.departments.items():
        # a lane names a unit; one the organisation lacks is made at its root (SPEC §7);
        # a lane dispatched at run time names no unit
        if not department.dispatched and organisation.unit(uow.session, key) is None:
            organisation.add(uow.session, key, dict(department.name))
    uow.session.add(matter)
    try:
        uow.session.flush()
    except IntegrityError:
        raise Conflict(
            f"another version of {package.key} was deployed at the same time; deploy again"
        ) from None
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
