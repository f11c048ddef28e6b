"""The catalogue of matters (事项) and their deployment, as services."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import func, select

from ..errors import Invalid
from ..store import matters
from ..store.models import Matter
from .accounts import authenticate
from .deploy import deploy, load_examples
from .specs import compiled
from .views import matter_summary, version_view

log = logging.getLogger(__name__)
MAX_PACKAGE_BYTES = 20 * 1024 * 1024


def matter_view(matter) -> dict:
    """A version as the catalogue shows it: its one form, materials (一次告知),
    deadlines and departments."""
    settings = compiled(matter).settings
    return {
        **matter_summary(matter),
        "form": matter.form_schema,
        "materials": list(settings.materials),
        "deadline": settings.deadline,
        "calendar": settings.calendar,
        "departments": {
            key: {"name": dict(d.name), "lead": d.lead} for key, d in settings.departments.items()
        },
    }


def catalogue(rt) -> list[dict]:
    """The newest version of every matter."""
    with rt.uow() as uow:
        return [matter_summary(m) for m in matters.catalogue(uow)]


def matter(rt, key: str) -> dict:
    with rt.uow() as uow:
        return matter_view(matters.latest(uow, key))


def versions(rt, key: str) -> list[dict]:
    with rt.uow() as uow:
        return [version_view(m) for m in matters.versions(uow, key)]


def form_schema(rt, key: str, version: int) -> dict:
    """The one form's JSON Schema of a matter version (a case stays on its version)."""
    with rt.uow() as uow:
        return matters.at_version(uow, key, version).form_schema


def department_names(rt) -> dict[str, dict]:
    """Department key -> name (public)."""
    with rt.uow() as uow:
        return matters.department_names(uow)


def deploy_package(rt, token: str | None, data) -> dict:
    """A package (zip bytes, a directory, or `(matter_dir, bpmn_dir)`) as the next
    version of its key; `token` None: an operator's command line."""
    if isinstance(data, bytes) and len(data) > MAX_PACKAGE_BYTES:
        raise Invalid(
            "the package is too large", errors={"package": [f"at most {MAX_PACKAGE_BYTES} bytes"]}
        )
    with rt.uow() as uow:
        actor = authenticate(uow, token) if token is not None else None
        matter = deploy(uow, actor, data)
        uow.commit()
        return version_view(matter)


def load_shipped_examples(rt, processes_dir: Path, bpmn_dir: Path) -> list[str]:
    """Deploy each shipped example whose key has no version yet (first start)."""
    with rt.uow() as uow:
        loaded = load_examples(uow, processes_dir, bpmn_dir)
        uow.commit()
        return loaded


def warm_up(rt) -> None:
    """Parse every matter's newest version, so that the first case of it does not wait."""
    with rt.uow() as uow:
        latest = select(func.max(Matter.id)).group_by(Matter.key)
        for matter in uow.session.scalars(select(Matter).where(Matter.id.in_(latest))):
            try:
                compiled(matter)
            except Exception:  # noqa: BLE001 - a broken old package must not stop the worker
                log.exception("could not parse matter %s v%s", matter.key, matter.version)
