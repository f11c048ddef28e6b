"""The form check's fast path (jsonschema_rs) never lets through a form that
`jsonschema`, which names the problems, would reject; and form_errors answers
what `jsonschema` alone answers, on every shipped form (intake and task forms)
and random edits of their examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.domain import forms

ROOT = Path(__file__).resolve().parents[2]


def _shipped() -> list[tuple[str, dict, dict]]:
    """(name, schema, a valid example) for each matter's form and each task form."""
    found = []
    for folder in sorted((ROOT / "processes").iterdir()):
        if not (folder / "matter.yaml").exists():
            continue
        matter = yaml.safe_load((folder / "matter.yaml").read_text("utf-8"))
        schema = json.loads((folder / matter["form"]).read_text("utf-8"))
        found.append(
            (folder.name, schema, json.loads((folder / "example-form.json").read_text("utf-8")))
        )
        outputs = json.loads((folder / "example-outputs.json").read_text("utf-8"))
        for task, spec in (matter.get("tasks") or {}).items():
            if (spec or {}).get("form") and task in outputs:
                found.append((f"{folder.name}/{task}", spec["form"], outputs[task]))
    return found


SHIPPED = _shipped()


def _paths(value, prefix=()) -> list[tuple]:
    if isinstance(value, dict) and value:
        return [prefix] + [p for k, v in value.items() for p in _paths(v, prefix + (k,))]
    if isinstance(value, list) and value:
        return [prefix] + [p for i, v in enumerate(value) for p in _paths(v, prefix + (i,))]
    return [prefix]


def _replaced(value, path: tuple, new):
    if not path:
        return new
    head, *rest = path
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[head] = _replaced(value[head], tuple(rest), new)
    return copy


def _dropped(value, path: tuple):
    head, *rest = path
    copy = dict(value) if isinstance(value, dict) else list(value)
    if rest:
        copy[head] = _dropped(value[head], tuple(rest))
    elif isinstance(copy, dict):
        copy.pop(head)
    else:
        copy.pop(head)
    return copy


# values near what the shipped forms check: dates, digits of other scripts
# (full-width, Arabic-Indic), ID and phone numbers one character off, wrong types
tricky_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "2024-02-30",
            "2024-13-01",
            "2024-2-1",
            "２０２４-01-01",
            "2024-01-01T00:00",
            "13800138000",
            "１３８００１３８０００",
            "1380013800٠",
            "23800138000",
            "33010219900101123X",
            "330102199001011234",
            "33010219900101123x",
            "91330100MA2B3C4D5E",
            "",
            " ",
            "\n",
            "京（2024）不动产权第12345号",
        ]
    ),
    st.from_regex(r"[0-9０-９٠-٩X-]{4,20}", fullmatch=True),
)
values = st.one_of(
    tricky_text,
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


@st.composite
def edited(draw):
    """A shipped form's example with one, two or three edits."""
    name, schema, example = draw(st.sampled_from(SHIPPED))
    form = example
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(form)))
        kind = draw(st.sampled_from(["replace", "replace", "drop", "add"]))
        if kind == "drop" and path:
            form = _dropped(form, path)
        elif kind == "add" and isinstance(form, dict):
            form = {**form, draw(st.text(min_size=1, max_size=8)): draw(values)}
        else:
            form = _replaced(form, path, draw(values))
    return name, schema, form


@pytest.mark.parametrize("name, schema, example", SHIPPED, ids=[s[0] for s in SHIPPED])
def test_shipped_examples_are_valid_both_ways(name, schema, example):
    assert forms.form_errors(schema, example) == {} == forms.jsonschema_errors(schema, example)


@settings(max_examples=1500, deadline=None)
@given(edited())
def test_the_fast_check_never_passes_what_jsonschema_rejects(case):
    name, schema, form = case
    assert _unordered(forms.form_errors(schema, form)) == _unordered(
        forms.jsonschema_errors(schema, form)
    ), name


def _unordered(errors: dict) -> dict:
    """jsonschema's messages for one field come in no fixed order between validators."""
    return {path: sorted(messages) for path, messages in errors.items()}


def test_values_the_fast_check_cannot_take_get_the_full_walk():
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    assert forms.form_errors(schema, {1: 2}) == forms.jsonschema_errors(schema, {1: 2})
    assert forms.form_errors({"type": "object", "additionalProperties": False}, {"a": b"x"}) == {
        "": ["Additional properties are not allowed ('a' was unexpected)"]
    }
