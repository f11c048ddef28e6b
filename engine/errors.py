"""Domain errors, each with a stable code; `api/` maps them to problem+json once."""

from __future__ import annotations


class DomainError(Exception):
    code = "error"
    status = 400
    title = "Bad request"

    def __init__(self, detail: str, errors: dict[str, list[str]] | None = None, **extra):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.extra = extra  # further problem+json members, e.g. `problems`


class NotFound(DomainError):
    code, status, title = "not-found", 404, "Not found"


class Invalid(DomainError):
    """The request is well-formed but its content breaks a rule (422)."""

    code, status, title = "invalid", 422, "Invalid input"


class ProcessFailed(Invalid):
    """The process could not go on with this data (an expression failed at run time);
    the transaction is rolled back, so nothing of the attempt is kept."""

    code, title = "process-failed", "The process could not continue"


class Conflict(DomainError):
    """The action does not fit the current state (409)."""

    code, status, title = "conflict", 409, "Conflict"


class WrongState(Conflict):
    code, title = "wrong-state", "Wrong state"

    def __init__(self, what: str, state: str, action: str):
        super().__init__(f"cannot {action}: {what} is {state}")
        self.state = state


class Unauthorized(DomainError):
    code, status, title = "unauthorized", 401, "Unauthorized"


class Forbidden(DomainError):
    code, status, title = "forbidden", 403, "Forbidden"
