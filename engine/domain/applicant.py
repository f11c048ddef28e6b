"""The applicant block of an intake, and the query code that lets him back in."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

ID_TYPES = ("id_card", "passport", "hk_macao_permit", "taiwan_permit", "uscc", "other")
FIELDS = ("name", "id_type", "id_number", "phone")
OPTIONAL_FIELDS = ("email", "address")
_PHONE = re.compile(r"^\+?[0-9 -]{6,20}$")


def applicant_errors(applicant) -> dict[str, list[str]]:
    """Every problem of the applicant block, by field path (`applicant/phone`)."""
    if not isinstance(applicant, dict):
        return {"applicant": ["must be an object with name, id_type, id_number, phone"]}
    errors: dict[str, list[str]] = {}
    for key in FIELDS:
        value = applicant.get(key)
        if not isinstance(value, str) or not value.strip():
            errors[f"applicant/{key}"] = ["is required"]
    if applicant.get("id_type") and applicant.get("id_type") not in ID_TYPES:
        errors["applicant/id_type"] = [f"must be one of {', '.join(ID_TYPES)}"]
    phone = applicant.get("phone")
    if isinstance(phone, str) and phone and not _PHONE.match(phone):
        errors["applicant/phone"] = ["is not a phone number"]
    for key in applicant:
        if key not in FIELDS + OPTIONAL_FIELDS:
            errors[f"applicant/{key}"] = ["unknown field"]
    return errors


def query_code(secret_key: str, case_no: str, salt: str) -> str:
    """The applicant's secret, derived from a per-case salt: never stored, never logged."""
    digest = hmac.new(secret_key.encode(), f"{case_no}:{salt}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode()[:10]


def code_matches(secret_key: str, case_no: str, salt: str, code: str | None) -> bool:
    return hmac.compare_digest(query_code(secret_key, case_no, salt), code or "")
