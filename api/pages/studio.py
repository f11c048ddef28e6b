"""The analyst studio: matter library, the BPMN modeler, package upload, SLA dashboard."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from flask import Blueprint, Response, jsonify, render_template, request

from engine.errors import Invalid
from engine.services import studio
from engine.services.metrics import service_metrics

from ..context import bearer_token, runtime

bp = Blueprint("studio", __name__, url_prefix="/studio")


@bp.get("/")
def library():
    return render_template("studio/library.html")


@bp.get("/matters/<key>/diagram")
def modeler(key: str):
    return render_template("studio/modeler.html", key=key)


@bp.get("/organisation")
def organisation():
    return render_template("studio/organisation.html")


@bp.get("/metrics")
def dashboard():
    return render_template("studio/metrics.html")


@bp.get("/data/matters/<key>/diagram")
def diagram(key: str):
    version = request.args.get("version", type=int)
    return jsonify(studio.process_diagram(runtime(), bearer_token(), key, version))


@bp.post("/data/matters/<key>/diagram")
def deploy_diagram(key: str):
    """Deploy the edited diagram as the matter's next version (422 lists every problem)."""
    body = request.get_json(silent=True) or {}
    xml = body.get("bpmn_xml") if isinstance(body, dict) else None
    deployed = studio.redeploy_with_diagram(runtime(), bearer_token(), key, xml)
    return jsonify({"key": deployed["key"], "version": deployed["version"]}), 201


@bp.post("/data/package-diagram")
def package_diagram():
    """The process diagram inside an uploaded package, to highlight its problems."""
    upload = request.files.get("package")
    if upload is None:
        raise Invalid("a package is required", errors={"package": ["is required"]})
    return jsonify(
        studio.package_diagram(runtime(), bearer_token(), upload.read(20 * 1024 * 1024 + 1))
    )


def _metric_rows() -> list[list]:
    args = {}
    for name in ("from", "to"):
        value = request.args.get(name)
        if value:
            try:
                args[name] = datetime.fromisoformat(value)
            except ValueError:
                raise Invalid(f"{name} is not a date", errors={name: ["not an ISO date"]}) from None
    figures = service_metrics(
        runtime(),
        bearer_token(),
        request.args.get("matter") or None,
        request.args.get("department") or None,
        args.get("from"),
        args.get("to"),
    )
    rows = [
        [
            "scope",
            "key",
            "cases_or_tasks",
            "completed",
            "on_time_rate",
            "yellow",
            "red",
            "rating_count",
            "rating_mean",
            "rating_share_4_5",
        ]
    ]
    for scope, table in (("total", {"all": figures["total"]}), ("matter", figures["matters"])):
        for key, f in table.items():
            r = f["ratings"]
            rows.append(
                [
                    scope,
                    key,
                    f["cases"],
                    f["by_status"].get("completed", 0),
                    f["on_time_rate"],
                    f["yellow"],
                    f["red"],
                    r["count"],
                    r["mean"],
                    r["share_4_5"],
                ]
            )
    for key, f in figures["departments"].items():
        rows.append(
            [
                "department",
                key,
                f["tasks"],
                f["completed"],
                f["on_time_rate"],
                f["yellow"],
                f["red"],
                None,
                None,
                None,
            ]
        )
    return rows


@bp.get("/data/metrics.csv")
def metrics_csv():
    buffer = io.StringIO()
    csv.writer(buffer).writerows(_metric_rows())
    return Response(
        "\ufeff" + buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="metrics.csv"'},
    )


@bp.get("/data/metrics.xlsx")
def metrics_xlsx():
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "metrics"
    for row in _metric_rows():
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return Response(
        buffer.getvalue(),
        headers={"Content-Disposition": 'attachment; filename="metrics.xlsx"'},
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
