"""The applicant portal: catalogue, 一次告知, the one form, receipt, progress, 补正, rating."""

from __future__ import annotations

import segno
from flask import Blueprint, Response, redirect, render_template, request, url_for
from markupsafe import Markup

from engine.errors import NotFound
from engine.services import catalogue as catalogue_service
from engine.services import tracking

from ..context import runtime
from ..receipts import receipt_pdf
from .text import title_of

bp = Blueprint("portal", __name__)


@bp.get("/")
def catalogue():
    items = [
        {"key": m["key"], "version": m["version"], "title": title_of(m["title"], m["key"])}
        for m in catalogue_service.catalogue(runtime())
    ]
    return render_template("portal/catalogue.html", matters=items)


@bp.get("/matters/<key>")
def matter(key: str):
    try:
        view = catalogue_service.matter(runtime(), key)
    except NotFound:
        return render_template("portal/track.html", not_found=True), 404
    return render_template("portal/matter.html", matter=view, title_of=title_of)


@bp.get("/track")
def track():
    case_no, code = request.args.get("case_no", "").strip(), request.args.get("code", "").strip()
    if case_no and code:
        return redirect(url_for("portal.progress", case_no=case_no, code=code))
    return render_template("portal/track.html", not_found=False)


def _progress(case_no: str) -> tuple[dict | None, str]:
    """The case's progress, or None when the number or the code is wrong."""
    code = request.args.get("code", "")
    try:
        return tracking.progress(runtime(), case_no, code), code
    except NotFound:
        return None, code


def _not_found():
    return render_template("portal/track.html", not_found=True), 404


def _progress_url(case_no: str, code: str) -> str:
    return url_for("portal.progress", case_no=case_no, code=code, _external=True)


@bp.get("/cases/<case_no>")
def progress(case_no: str):
    state, code = _progress(case_no)
    if state is None:
        return _not_found()
    return render_template(
        "portal/progress.html",
        p=state,
        code=code,
        title_of=title_of,
        ended=state["ended_at"] is not None,
    )


@bp.get("/cases/<case_no>/receipt")
def receipt(case_no: str):
    state, code = _progress(case_no)
    if state is None:
        return _not_found()
    url = _progress_url(case_no, code)
    qr = Markup(segno.make(url, error="m").svg_inline(scale=4, title="progress"))
    return render_template(
        "portal/receipt.html", p=state, code=code, qr=qr, url=url, title_of=title_of
    )


@bp.get("/cases/<case_no>/receipt.pdf")
def receipt_file(case_no: str):
    state, code = _progress(case_no)
    if state is None:
        return _not_found()
    pdf = receipt_pdf(state, code, _progress_url(case_no, code))
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="receipt-{case_no}.pdf"',
            "Cache-Control": "no-store",
        },
    )


@bp.get("/cases/<case_no>/supplement")
def supplement(case_no: str):
    state, code = _progress(case_no)
    if state is None:
        return _not_found()
    if state["status"] != "awaiting_supplement":
        return redirect(url_for("portal.progress", case_no=case_no, code=code))
    form = catalogue_service.form_schema(
        runtime(), state["matter"]["key"], state["matter"]["version"]
    )
    return render_template(
        "portal/supplement.html", p=state, code=code, form=form, title_of=title_of
    )
