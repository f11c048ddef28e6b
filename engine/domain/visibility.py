"""What a member of staff may see of a case: the form fields of the lanes he works in."""

from __future__ import annotations

from typing import Iterable

from .access import Actor
from .forms import pick_paths
from .matter import MatterSettings


def lanes_of(settings: MatterSettings, actor: Actor, tasks: Iterable = ()) -> set[str]:
    """The lanes the actor works in a case: those naming a unit in his scope, and those
    of the case's tasks that went (dispatched at run time) to a unit in his scope."""
    lanes = {key for key in settings.departments if actor.in_department(key)}
    lanes.update(t.lane or t.department for t in tasks if actor.in_department(t.department))
    return lanes


def visible_paths(settings: MatterSettings, actor: Actor, tasks: Iterable = ()) -> list[str] | None:
    """Union of what each of the actor's lanes `sees`; None: the whole form."""
    if actor.is_admin:
        return None
    paths: list[str] = []
    for key in sorted(lanes_of(settings, actor, tasks)):
        department = settings.departments.get(key)
        if department is None:
            continue
        if department.sees is None:
            return None
        paths.extend(department.sees)
    return paths


def visible_form(form: dict, settings: MatterSettings, actor: Actor, tasks: Iterable = ()) -> dict:
    return pick_paths(form, visible_paths(settings, actor, tasks))
