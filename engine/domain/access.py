"""Who is acting, and what they may see and do."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import Forbidden

ROLES = ("clerk", "handler", "supervisor", "analyst", "admin")


@dataclass(frozen=True)
class Actor:
    username: str
    departments: frozenset[str] = field(default_factory=frozenset)
    roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def label(self) -> str:
        return f"user:{self.username}"

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    def in_department(self, department: str) -> bool:
        return self.is_admin or department in self.departments

    def require_role(self, *roles: str) -> None:
        if not self.is_admin and not self.roles.intersection(roles):
            raise Forbidden(f"this needs one of the roles: {', '.join(roles)}")


APPLICANT = "applicant"
SYSTEM = "system"
