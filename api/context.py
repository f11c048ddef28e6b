"""Per-request access to the engine: a unit of work and, for staff, the actor."""
from __future__ import annotations

from contextlib import contextmanager

from flask import current_app, request

from engine.errors import Unauthorized
from engine.staff import authenticate


def runtime():
    return current_app.extensions["onething"]


def bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send 'Authorization: Bearer <token>' from POST /api/auth/login")
    return token.strip()


@contextmanager
def unit():
    """A unit of work for a public request."""
    with runtime().uow() as uow:
        yield uow


@contextmanager
def staff_unit():
    """A unit of work and the authenticated staff member."""
    token = bearer_token()
    with runtime().uow() as uow:
        yield uow, authenticate(uow, token)
