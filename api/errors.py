"""Every error leaves as application/problem+json: {type, title, status, detail, errors?}."""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from engine.errors import DomainError

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"


def problem(
    status: int,
    title: str,
    detail: str,
    errors: dict | None = None,
    code: str | None = None,
    **extra,
):
    body = {
        "type": f"https://onething.dev/problems/{code or status}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM
    return response


LOCATIONS = ("json", "query", "form", "files", "headers", "view_args", "querystring")


def _by_location(messages) -> dict[str, list[str]]:
    """webargs nests messages by location, then field; we name each field by its path."""
    flat: dict[str, list[str]] = {}
    if not isinstance(messages, dict):
        return _flatten(messages)
    for location, fields in messages.items():
        flat.update(_flatten(fields) if location in LOCATIONS else _flatten(fields, location))
    return flat


def _flatten(messages, prefix: str = "") -> dict[str, list[str]]:
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            flat.update(_flatten(value, f"{prefix}/{key}" if prefix else str(key)))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "body"] = list(messages)
    elif isinstance(messages, list):
        for i, item in enumerate(messages):
            flat.update(_flatten(item, f"{prefix}/{i}"))
    else:
        flat[prefix or "body"] = [str(messages)]
    return flat


class ProblemApi(Api):
    """flask-smorest's Api whose HTTP errors are problem+json too."""

    def handle_http_exception(self, error: HTTPException):
        data = getattr(error, "data", None) or {}
        errors = _by_location(data["messages"]) if "messages" in data else None
        detail = "the request is not valid" if errors else (error.description or error.name)
        return problem(error.code or 500, error.name, detail, errors)


def register(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(error: DomainError):
        return problem(
            error.status, error.title, error.detail, error.errors, error.code, **error.extra
        )

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return problem(error.code or 500, error.name, error.description or error.name)
        log.exception("unhandled error")
        return problem(500, "Internal Server Error", "an unexpected error; it has been logged")
