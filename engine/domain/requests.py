"""Citizen requests to the 12345 line (接诉即办, SPEC §8): the words and rules, defined once.

A request is a case of a matter of `kind: request`; these are the rules of its
intake body, its clocks by urgency, its visit, and the three rates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping

CHANNELS = ("phone", "web", "app", "wechat", "mini_program", "email", "letter", "walk_in")
# what a caller may use without an agent (the public web and app forms)
PUBLIC_CHANNELS = ("web", "app", "wechat", "mini_program")
TYPES = ("consultation", "help", "complaint", "report", "suggestion", "praise")
URGENCIES = ("normal", "urgent", "emergency")
SATISFACTION = ("satisfied", "basically", "unsatisfied")
MAX_REOPENS = 2
PHONE = re.compile(r"^\+?[0-9 -]{6,20}$")
REGION = re.compile(r"^\d{6}(\d{3}){0,2}$")
CATEGORY = re.compile(r"^[0-9A-Za-z]{2,12}$")

# the clocks of a request's handling by urgency (operator-set; these are the defaults):
# sign for it (签收), contact the caller (响应), resolve it (办结), counted from the moment
# the unit receives it
DEFAULT_CLOCKS: Mapping[str, Mapping[str, Mapping[str, Any]]] = MappingProxyType(
    {
        "normal": {
            "sign": {"workhours": 2},
            "contact": {"workdays": 1},
            "resolve": {"workdays": 7},
        },
        "urgent": {
            "sign": {"workhours": 1},
            "contact": {"workhours": 4},
            "resolve": {"workdays": 3},
        },
        "emergency": {
            "sign": {"iso": "PT30M"},
            "contact": {"hours": 2},
            "resolve": {"workdays": 1},
        },
    }
)
# 满意率 counts a "basically satisfied" as this much of a "satisfied"
BASICALLY_WEIGHT = 0.8
# the composite score's weights for the response, resolution and satisfaction rates
DEFAULT_WEIGHTS = (10, 45, 45)


def request_errors(body, public: bool) -> dict[str, list[str]]:
    """Every problem of a request's intake body (SPEC §8), by field path."""
    if not isinstance(body, dict):
        return {"body": ["must be an object"]}
    errors: dict[str, list[str]] = {}
    channel = body.get("channel")
    if channel not in CHANNELS:
        errors["channel"] = [f"one of {', '.join(CHANNELS)}"]
    elif public and channel not in PUBLIC_CHANNELS:
        errors["channel"] = [f"a caller without an agent uses {', '.join(PUBLIC_CHANNELS)}"]
    if body.get("type") not in TYPES:
        errors["type"] = [f"one of {', '.join(TYPES)}"]
    if body.get("urgency", "normal") not in URGENCIES:
        errors["urgency"] = [f"one of {', '.join(URGENCIES)}"]
    caller = body.get("caller")
    if not isinstance(caller, dict):
        errors["caller"] = ["an object {name?, phone}"]
    else:
        phone = caller.get("phone")
        if not (isinstance(phone, str) and PHONE.match(phone)):
            errors["caller/phone"] = ["is required: a phone number"]
        name = caller.get("name")
        if name is not None and not (isinstance(name, str) and len(name) <= 50):
            errors["caller/name"] = ["at most 50 characters"]
        for key in set(caller) - {"name", "phone"}:
            errors[f"caller/{key}"] = ["unknown field"]
    for key, limit in (("title", 100), ("content", 5000)):
        value = body.get(key)
        if not (isinstance(value, str) and value.strip() and len(value) <= limit):
            errors[key] = [f"is required, at most {limit} characters"]
    if not (isinstance(body.get("category"), str) and CATEGORY.match(body["category"])):
        errors["category"] = ["a category code of the category tree"]
    location = body.get("location")
    if not isinstance(location, dict):
        errors["location"] = ["an object {address, region, lat?, lng?}"]
    else:
        if not (
            isinstance(location.get("address"), str)
            and location["address"].strip()
            and len(location["address"]) <= 200
        ):
            errors["location/address"] = ["is required, at most 200 characters"]
        if not (isinstance(location.get("region"), str) and REGION.match(location["region"])):
            errors["location/region"] = ["a region code (6 digits, then street and community)"]
        for key, low, high in (("lat", -90, 90), ("lng", -180, 180)):
            value = location.get(key)
            if value is not None and not (
                isinstance(value, (int, float))
                and not isinstance(value, bool)
                and low <= value <= high
            ):
                errors[f"location/{key}"] = [f"a number from {low} to {high}"]
        for key in set(location) - {"address", "region", "lat", "lng"}:
            errors[f"location/{key}"] = ["unknown field"]
    if "anonymous" in body and not isinstance(body["anonymous"], bool):
        errors["anonymous"] = ["true or false"]
    known = {
        "channel",
        "type",
        "caller",
        "anonymous",
        "category",
        "title",
        "content",
        "location",
        "urgency",
    }
    for key in set(body) - known:
        errors[key] = ["unknown field"]
    return errors


def visit_errors(visit) -> dict[str, list[str]]:
    """A visit's answers: {contacted: bool, resolved: bool, satisfaction}."""
    if not isinstance(visit, dict):
        return {"visit": ["an object {contacted, resolved, satisfaction}"]}
    errors = {}
    for key in ("contacted", "resolved"):
        if not isinstance(visit.get(key), bool):
            errors[key] = ["true or false"]
    if visit.get("satisfaction") not in SATISFACTION:
        errors["satisfaction"] = [f"one of {', '.join(SATISFACTION)}"]
    return errors


@dataclass(frozen=True)
class Rates:
    """A unit's three rates over the requests visited in a period, and the composite."""

    visited: int
    contacted: int
    resolved: int
    satisfied: int
    basically: int

    def _share(self, part: float) -> float | None:
        return round(part / self.visited, 4) if self.visited else None

    @property
    def response(self) -> float | None:  # 响应率
        return self._share(self.contacted)

    @property
    def resolution(self) -> float | None:  # 解决率
        return self._share(self.resolved)

    @property
    def satisfaction(self) -> float | None:  # 满意率
        return self._share(self.satisfied + self.basically * BASICALLY_WEIGHT)

    def score(self, weights=DEFAULT_WEIGHTS) -> float | None:
        if not self.visited:
            return None
        rates = (self.response, self.resolution, self.satisfaction)
        return round(sum(w * r for w, r in zip(weights, rates)) / sum(weights) * 100, 2)
