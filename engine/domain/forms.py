"""The one form: JSON Schema validation with every problem named by field path.

Every intake and most completions validate a form that is nearly always
valid. The `jsonschema` package names each problem as applicants read them,
and takes a quarter of a millisecond for a 40-field form; `jsonschema_rs`
(Rust) answers only "valid or not" in about two microseconds. So a form is
first asked of `jsonschema_rs`, with formats checked as `jsonschema`'s format
checker does, and only one it rejects is walked by `jsonschema` for its
messages (one it rejects that `jsonschema` accepts has no errors: valid). A
form the fast check accepts is valid without asking `jsonschema`: the two
read patterns with different regex engines, so tests/test_forms.py holds them
to the same answers on random edits of every shipped form, where such a
difference would show.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jsonschema_rs
import orjson
from jsonschema import Draft202012Validator

from ..errors import Invalid


@lru_cache(maxsize=256)
def _validators(schema_json: bytes) -> tuple[object, Draft202012Validator]:
    """(the fast yes/no check, the validator that names each problem)."""
    schema = orjson.loads(schema_json)
    return (
        jsonschema_rs.Draft202012Validator(schema, validate_formats=True),
        Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER),
    )


def form_errors(schema: dict, data: Any) -> dict[str, list[str]]:
    """Map each failing field path (`shop/area`, or `` for the root) to messages."""
    fast, _ = _validators(orjson.dumps(schema, option=orjson.OPT_SORT_KEYS))
    try:
        if fast.is_valid(data):
            return {}
    except ValueError:  # not a JSON value (a non-string key, bytes): the full walk says why
        pass
    return jsonschema_errors(schema, data)


def jsonschema_errors(schema: dict, data: Any) -> dict[str, list[str]]:
    """What `form_errors` answers, found by `jsonschema` alone (no fast check)."""
    _, validator = _validators(orjson.dumps(schema, option=orjson.OPT_SORT_KEYS))
    errors: dict[str, list[str]] = {}
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        path = "/".join(str(part) for part in error.absolute_path)
        if error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else ""
            path = f"{path}/{missing}" if path else missing
            message = "is required"
        else:
            message = error.message
        errors.setdefault(path, []).append(message)
    return errors


def validate_form(schema: dict, data: Any, prefix: str = "form") -> None:
    errors = form_errors(schema, data)
    if errors:
        named = {f"{prefix}/{path}" if path else prefix: msgs for path, msgs in errors.items()}
        raise Invalid(f"{len(named)} field(s) failed validation", errors=named)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch: how an applicant's supplement edits the form."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def pick_paths(form: dict, paths: list[str] | None) -> dict:
    """The part of the form a department `sees` (None: the whole form)."""
    if paths is None:
        return form
    picked: dict = {}
    for path in paths:
        parts = [p for p in path.strip("/").split("/") if p]
        source, target = form, picked
        for i, part in enumerate(parts):
            if not isinstance(source, dict) or part not in source:
                break
            if i == len(parts) - 1:
                target[part] = source[part]
            else:
                source = source[part]
                target = target.setdefault(part, {})
    return picked
