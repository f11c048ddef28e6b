"""Staff accounts: users, departments, roles, passwords and login tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from contextlib import contextmanager
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, select

from ..domain.access import ROLES, Actor
from ..errors import Conflict, Invalid, Unauthorized
from ..store import organisation
from ..store.models import ApiToken, Department, User
from ..store.plain import select_rows
from .views import user_view

_hasher = PasswordHasher()
_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{2,64}$")
MIN_PASSWORD = 8


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    uow,
    actor: Actor | None,
    username: str,
    password: str,
    display_name: str,
    departments: list[str],
    roles: list[str],
) -> User:
    """Make a staff account; `actor` None is the start-up bootstrap of `admin`."""
    if actor is not None:
        actor.require_role("admin")
    errors: dict[str, list[str]] = {}
    if not _USERNAME.match(username or ""):
        errors["username"] = ["2-64 letters, digits, '_', '.' or '-'"]
    if len(password or "") < MIN_PASSWORD:
        errors["password"] = [f"at least {MIN_PASSWORD} characters"]
    unknown_roles = [r for r in roles if r not in ROLES]
    if unknown_roles or not roles:
        errors["roles"] = [f"unknown role: {r}" for r in unknown_roles] or ["at least one role"]
    known = set(uow.session.scalars(select(Department.key)))
    unknown_departments = [d for d in departments if d not in known]
    if unknown_departments:
        errors["departments"] = [f"unknown department: {d}" for d in unknown_departments]
    if errors:
        raise Invalid("the user is not valid", errors=errors)
    if uow.session.scalar(select(User).where(User.username == username)) is not None:
        raise Conflict(f"user {username} exists")
    user = User(
        username=username,
        password_hash=_hasher.hash(password),
        display_name=display_name or username,
        departments=sorted(set(departments)),
        roles=sorted(set(roles)),
        active=True,
        created_at=uow.now(),
    )
    uow.session.add(user)
    uow.session.flush()
    return user


def ensure_admin(uow, password: str | None) -> None:
    """The first admin, from ONETHING_ADMIN_PASSWORD; its password follows the variable."""
    if not password:
        return
    user = uow.session.scalar(select(User).where(User.username == "admin"))
    if user is None:
        create_user(uow, None, "admin", password, "Administrator", [], ["admin"])
    elif not _verify(user.password_hash, password):
        user.password_hash = _hasher.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def login(uow, username: str, password: str, ttl_hours: int) -> tuple[str, object]:
    user = uow.session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or not _verify(user.password_hash, password or ""):
        raise Unauthorized("wrong username or password")
    token = secrets.token_urlsafe(32)
    expires_at = uow.now() + timedelta(hours=ttl_hours)
    uow.session.add(
        ApiToken(
            token_hash=_token_hash(token),
            user_id=user.id,
            created_at=uow.now(),
            expires_at=expires_at,
        )
    )
    return token, expires_at


# what a request needs of its user, not the user (its password hash stays in the table)
_USER_OF_TOKEN = (
    select(User.username, User.departments, User.roles, User.active, ApiToken.expires_at)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


def authenticate(uow, token: str) -> Actor:
    """The staff member behind a bearer token (one query: every staff request pays it,
    so it is run as the plain statement it is (db.select_rows): nothing the request
    has changed yet needs flushing before it)."""
    found = select_rows(uow.session, _USER_OF_TOKEN, {"token_hash": _token_hash(token or "")})
    user = found[0] if found else None
    if user is None or user["expires_at"] <= uow.now():
        raise Unauthorized("missing, unknown or expired token")
    if not user["active"]:
        raise Unauthorized("the account is disabled")
    departments, roles = frozenset(user["departments"]), frozenset(user["roles"])
    # a supervisor sees and acts on every unit below his (one more read, his only)
    below = organisation.below(uow.session, departments) if "supervisor" in roles else None
    return Actor(user["username"], departments, roles, below)


def list_users(uow, actor: Actor) -> list[User]:
    actor.require_role("admin")
    return list(uow.session.scalars(select(User).order_by(User.username)))


def user_named(uow, username: str) -> User:
    return uow.session.scalar(select(User).where(User.username == username))


@contextmanager
def staff_unit(rt, token: str | None):
    """A unit of work and the staff member behind `token` (401 without a good one):
    the token is read in the operation's own transaction."""
    with rt.uow() as uow:
        yield uow, authenticate(uow, token or "")


# -- services (each owns its unit of work) ------------------------------------


def log_in(rt, username: str, password: str) -> dict:
    """A bearer token for `Authorization: Bearer <token>`."""
    with rt.uow() as uow:
        token, expires_at = login(uow, username, password, rt.settings.token_ttl_hours)
        uow.commit()
        return {"token": token, "expires_at": expires_at}


def me(rt, token: str) -> dict:
    with staff_unit(rt, token) as (uow, actor):
        return user_view(user_named(uow, actor.username))


def users(rt, token: str) -> list[dict]:
    with staff_unit(rt, token) as (uow, actor):
        return [user_view(user) for user in list_users(uow, actor)]


def add_user(
    rt,
    token: str | None,
    username: str,
    password: str,
    display_name: str,
    departments: list[str],
    roles: list[str],
) -> dict:
    """A new staff account (admins; `token` None: an operator's command line)."""
    with rt.uow() as uow:
        actor = authenticate(uow, token) if token is not None else None
        user = create_user(uow, actor, username, password, display_name, departments, roles)
        uow.commit()
        return user_view(user)


def ensure_first_admin(rt) -> None:
    """The first admin, from ONETHING_ADMIN_PASSWORD (its password follows the variable)."""
    with rt.uow() as uow:
        ensure_admin(uow, rt.settings.admin_password)
        uow.commit()
