"""What a request needs of the engine: its runtime, and the caller's bearer token."""

from __future__ import annotations

from flask import current_app, request

from engine.errors import Unauthorized


def runtime():
    """The process's engine runtime (handed to the services as `rt`)."""
    return current_app.extensions["onething"]


def bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send 'Authorization: Bearer <token>' from POST /api/auth/login")
    return token.strip()
