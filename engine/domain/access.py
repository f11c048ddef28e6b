"""Who is acting, and what they may see and do."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import Forbidden

ROLES = ("clerk", "handler", "supervisor", "analyst", "admin", "agent", "inspector")


@dataclass(frozen=True)
class Actor:
    username: str
    departments: frozenset[str] = field(default_factory=frozenset)  # the units he belongs to
    roles: frozenset[str] = field(default_factory=frozenset)
    # the units whose tasks he sees and acts on: his own, and for a supervisor every unit
    # below them in the organisation (None: his own)
    below: frozenset[str] | None = None

    @property
    def scope(self) -> frozenset[str]:
        return self.departments if self.below is None else self.departments | self.below

    @property
    def label(self) -> str:
        return f"user:{self.username}"

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    def in_department(self, department: str) -> bool:
        """Whether he may see and act on `department`'s tasks."""
        return self.is_admin or department in self.scope

    def member_of(self, department: str) -> bool:
        """Whether he belongs to `department` itself (not only above it)."""
        return self.is_admin or department in self.departments

    def require_role(self, *roles: str) -> None:
        if not self.is_admin and not self.roles.intersection(roles):
            raise Forbidden(f"this needs one of the roles: {', '.join(roles)}")


APPLICANT = "applicant"
SYSTEM = "system"
