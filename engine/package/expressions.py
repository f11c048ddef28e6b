"""Every expression and script in the BPMN and DMN files, checked by the sandbox.

Run time is sandboxed anyway; checking at deploy is what lets the analyst
learn which element is wrong before a case trips over it. Each place that
SpiffWorkflow evaluates is listed here with the mode it is run in.
"""

from __future__ import annotations

import ast
import re
from datetime import datetime

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.sandbox import check_source

from .bpmn import BPMN_NS, is_bpmn, local
from .model import Problems

SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
PYTHON_FORMATS = ("", "python", "text/python", "text/x-python", "application/x-python")

# (namespace, tag) -> (what the analyst calls it, mode)
_SITES = {
    (BPMN_NS, "conditionExpression"): ("condition", "eval"),
    (BPMN_NS, "condition"): ("condition", "eval"),
    (BPMN_NS, "script"): ("script", "exec"),
    (BPMN_NS, "timeDuration"): ("timer", "eval"),
    (BPMN_NS, "timeDate"): ("timer", "eval"),
    (BPMN_NS, "timeCycle"): ("timer", "eval"),
    (BPMN_NS, "loopCardinality"): ("loop cardinality", "eval"),
    (BPMN_NS, "completionCondition"): ("completion condition", "eval"),
    (BPMN_NS, "messagePath"): ("message path", "eval"),
    (SPIFF_NS, "preScript"): ("pre-script", "exec"),
    (SPIFF_NS, "postScript"): ("post-script", "exec"),
    (SPIFF_NS, "messagePayload"): ("message payload", "eval"),
}
_WRAPPERS = (
    "extensionElements",
    "multiInstanceLoopCharacteristics",
    "standardLoopCharacteristics",
    "correlationPropertyRetrievalExpression",
    "messagePath",
    "formalExpression",
    "conditionExpression",
    "condition",
)
_ISO_LIKE = re.compile(r"^(R\d*/)?P[\dYMWDTHS.,]+$|^\d{4}-\d{2}-\d{2}T[\d:.+\-Z]+$", re.I)
_JUEL = re.compile(r"^\s*[$#]\{")
# SpiffWorkflow's DMN engine swaps an unquoted `?` for the input's value.
_DMN_PLACEHOLDER = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")


def owner_id(element: etree._Element) -> str | None:
    """The id of the flow element an expression belongs to (flow, task, event)."""
    node = element.getparent()
    while node is not None:
        name = local(node)
        if not (name.endswith("EventDefinition") or name in _WRAPPERS) and node.get("id"):
            return node.get("id")
        node = node.getparent()
    return None


def _report(
    file: str, element: str | None, what: str, problems_found: list[str], problems: Problems
) -> None:
    for problem in problems_found:
        problems.add(file, element, f"{what} {problem}")


# -- BPMN -----------------------------------------------------------------------


def check_bpmn_expressions(file: str, root: etree._Element, problems: Problems) -> None:
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        qname = etree.QName(element)
        if is_bpmn(element) and qname.localname == "scriptTask":
            _check_script_format(file, element, problems)
        if is_bpmn(element) and qname.localname == "serviceTask":
            problems.add(
                file,
                element.get("id"),
                "service tasks are not supported; use a user task or a script task",
            )
        site = _SITES.get((qname.namespace, qname.localname))
        if (
            qname.localname == "formalExpression"
            and is_bpmn(element)
            and local(element.getparent()) == "correlationPropertyRetrievalExpression"
        ):
            site = ("message path", "eval")  # how bpmn-js writes a messagePath
        if site is not None:
            _check_site(file, element, *site, problems)


def _check_script_format(file: str, task: etree._Element, problems: Problems) -> None:
    script_format = (task.get("scriptFormat") or "").strip().lower()
    if script_format not in PYTHON_FORMATS:
        problems.add(
            file,
            task.get("id"),
            f"script format {task.get('scriptFormat')!r} is not supported; scripts are Python",
        )


def _check_site(
    file: str, element: etree._Element, what: str, mode: str, problems: Problems
) -> None:
    source = "".join(element.itertext()).strip()
    element_id = owner_id(element)
    if not source:
        if what == "timer":
            problems.add(file, element_id, "timer has no expression")
        return
    language = (element.get("language") or "").strip().lower()
    if language and "python" not in language:
        problems.add(
            file,
            element_id,
            f"{what} language {element.get('language')!r} is not "
            "supported; write a Python expression",
        )
        return
    if _JUEL.match(source):
        problems.add(
            file,
            element_id,
            f"{what} {source!r} looks like a Camunda (JUEL) "
            "expression; write a Python expression instead",
        )
        return
    if what == "timer" and _ISO_LIKE.match(source):
        problems.add(file, element_id, f'timer {source} must be a quoted string: "{source}"')
        return
    found = check_source(source, mode)
    _report(file, element_id, what, found, problems)
    if not found and what == "timer":
        _check_timer_constant(file, element_id, local(element), source, problems)


def _check_timer_constant(
    file: str, element_id: str | None, kind: str, source: str, problems: Problems
) -> None:
    """A literal timer value is checked now; a computed one only when it fires."""
    try:
        value = ast.literal_eval(source)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return
    if not isinstance(value, str):
        problems.add(file, element_id, f"timer must give an ISO 8601 text, not {value!r}")
        return
    try:
        if kind == "timeDuration":
            TimerEventDefinition.parse_iso_duration(value)
        elif kind == "timeDate":
            TimerEventDefinition.get_datetime(value)
        else:
            TimerEventDefinition.parse_iso_recurring_interval(value)
    except Exception:  # noqa: BLE001 - SpiffWorkflow raises bare Exception here
        expected = {
            "timeDuration": "a duration like PT30S or P2D",
            "timeDate": f"a date-time like {datetime(2026, 1, 5, 9).isoformat()}",
            "timeCycle": "a cycle like R3/PT1H",
        }[kind]
        problems.add(file, element_id, f"timer {value!r} is not {expected}")


# -- DMN ------------------------------------------------------------------------


def check_dmn_expressions(file: str, root: etree._Element, problems: Problems) -> None:
    for table in root.iter():
        if isinstance(table.tag, str) and local(table) == "decisionTable":
            _check_table(file, table, problems)


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in element if isinstance(c.tag, str) and local(c) == name]


def _text(element: etree._Element) -> str:
    texts = _children(element, "text")
    return "".join(texts[0].itertext()).strip() if texts else ""


def _check_table(file: str, table: etree._Element, problems: Problems) -> None:
    for column in _children(table, "input"):
        for expression in _children(column, "inputExpression"):
            source = _text(expression)
            if source:
                _report(
                    file,
                    column.get("id"),
                    "input expression",
                    check_source(source, "eval"),
                    problems,
                )
    for number, rule in enumerate(_children(table, "rule"), start=1):
        for entry in _children(rule, "inputEntry"):
            _report(
                file,
                entry.get("id") or rule.get("id"),
                f"input entry of rule {number}",
                _input_entry_problems(_text(entry)),
                problems,
            )
        for entry in _children(rule, "outputEntry"):
            source = _text(entry)
            if source:
                _report(
                    file,
                    entry.get("id") or rule.get("id"),
                    f"output entry of rule {number}",
                    check_source(source, "eval"),
                    problems,
                )


def _input_entry_problems(text: str) -> list[str]:
    """Checked the way SpiffWorkflow will run it: `v == (text)`, `v <op> ...` or with `?`."""
    if not text or text == "-":
        return []
    replaced = _DMN_PLACEHOLDER.sub("dmninputexpr", text)
    if replaced != text:
        return check_source(replaced, "eval")
    found = check_source(text, "eval")
    if found and found[0].startswith("has a syntax error"):
        unary = check_source(f"dmninputexpr {text}", "eval")
        return unary if not unary or not unary[0].startswith("has a syntax error") else found
    return found
