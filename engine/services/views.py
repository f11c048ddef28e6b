"""What services hand back: plain data (dicts), never ORM objects, made here once."""

from __future__ import annotations


def matter_ref(matter) -> dict:
    return {"key": matter.key, "version": matter.version, "title": matter.title}


def task_view(task) -> dict:
    """A worklist item (SPEC §5), with its case's status, and how it was dispatched
    (SPEC §7): its lane, kind (process or assist), returns and dispute."""
    case = task.case
    dispatch = task.dispatch or {}
    return {
        "lane": task.lane or task.department,
        "kind": task.kind,
        "parent_id": task.parent_id,
        "returns": dispatch.get("returns", 0),
        "disputed": bool(dispatch.get("disputed")),
        "dispatcher": dispatch.get("dispatcher"),
        "dispatch_failed": dispatch.get("failed"),
        "id": task.id,
        "case_no": case.case_no,
        "matter": matter_ref(case.matter),
        "task": task.task,
        "name": task.name,
        "department": task.department,
        "state": task.state,
        "assignee": task.assignee,
        "started_at": task.started_at,
        "due_at": task.due_at,
        "warning": task.warning,
        "case_status": case.status,
    }


def status_view(case) -> dict:
    return {"case_no": case.case_no, "status": case.status, "due_at": case.due_at}


def user_view(user) -> dict:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "departments": list(user.departments),
        "roles": list(user.roles),
        "active": user.active,
        "created_at": user.created_at,
    }


def matter_summary(matter) -> dict:
    return {**matter_ref(matter), "deployed_at": matter.deployed_at}


def version_view(matter) -> dict:
    return {
        "key": matter.key,
        "version": matter.version,
        "deployed_at": matter.deployed_at,
        "deployed_by": matter.deployed_by,
    }


def rating_view(rating) -> dict:
    return {"score": rating.score, "comment": rating.comment}
