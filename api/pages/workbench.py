"""The staff workbench: login, worklist, the task page and the case page.

The pages are shells; their script calls the JSON API with the token from
POST /api/auth/login. `/staff/data/...` adds what the API does not carry.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template

from engine.services import studio

from ..context import bearer_token, runtime

bp = Blueprint("workbench", __name__, url_prefix="/staff")


@bp.get("/login")
def login():
    return render_template("staff/login.html")


@bp.get("/")
def worklist():
    return render_template("staff/worklist.html")


@bp.get("/cases/<case_no>/tasks/<int:task_id>")
def task(case_no: str, task_id: int):
    return render_template("staff/task.html", case_no=case_no, task_id=task_id)


@bp.get("/cases/<case_no>")
def case(case_no: str):
    return render_template("staff/case.html", case_no=case_no)


@bp.get("/data/cases/<case_no>/tasks/<int:task_id>")
def task_data(case_no: str, task_id: int):
    """The task's output form and the materials a 补正 may name."""
    return jsonify(studio.task_page(runtime(), bearer_token(), case_no, task_id))
