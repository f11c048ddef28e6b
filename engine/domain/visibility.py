"""What a member of staff may see of a case: the form fields his departments `sees`."""

from __future__ import annotations

from .access import Actor
from .forms import pick_paths
from .matter import MatterSettings


def visible_paths(settings: MatterSettings, actor: Actor) -> list[str] | None:
    """Union of what each of the actor's departments `sees`; None: the whole form."""
    if actor.is_admin:
        return None
    paths: list[str] = []
    for key in actor.departments:
        department = settings.departments.get(key)
        if department is None:
            continue
        if department.sees is None:
            return None
        paths.extend(department.sees)
    return paths


def visible_form(form: dict, settings: MatterSettings, actor: Actor) -> dict:
    return pick_paths(form, visible_paths(settings, actor))
