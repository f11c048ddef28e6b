"""The 12345 line's pages: the public report form, the agent console, the visit console
and the leaders' dashboard. Shells: their script calls the JSON API."""

from __future__ import annotations

from flask import Blueprint, render_template

from ..context import runtime

bp = Blueprint("hotline", __name__)


@bp.get("/report")
def report():
    return render_template("hotline/report.html")


@bp.get("/staff/hotline")
def console():
    return render_template("hotline/console.html")


@bp.get("/staff/visits")
def visits():
    return render_template("hotline/visits.html")


@bp.get("/studio/hotline")
def dashboard():
    today = runtime().clock.now()  # the engine's clock: the months it has counted
    months, year, month = [], today.year, today.month
    for _ in range(13):
        months.append(f"{year}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return render_template("hotline/dashboard.html", periods=months)
