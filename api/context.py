"""Per-request access to the engine: a unit of work and, for staff, the actor."""
from __future__ import annotations

from contextlib import contextmanager

from flask import current_app, g, request

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


def _request_uow():
    """One unit of work per request, open until the response is written, so that
    the response schemas can still read what the view returned; views commit."""
    uow = g.get("onething_uow")
    if uow is None:
        uow = g.onething_uow = runtime().uow().__enter__()
    return uow


def close_request_uow(_exc=None) -> None:
    uow = g.pop("onething_uow", None)
    if uow is not None:
        uow.__exit__(None, None, None)


@contextmanager
def unit():
    """The request's unit of work, for a public request."""
    yield _request_uow()


@contextmanager
def staff_unit():
    """The request's unit of work and the authenticated staff member."""
    token = bearer_token()
    uow = _request_uow()
    yield uow, authenticate(uow, token)
