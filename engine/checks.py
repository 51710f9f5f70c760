"""Deploy-time checks on the BPMN XML, pinned to element ids and lines.

SpiffWorkflow's own parser catches structural errors; these catch what it would only find at run time.
"""

from __future__ import annotations

import ast
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from domain.errors import InvalidInput
from engine import services
from engine.bundle import BPMN_NS, NS, SPIFF_NS, Problem
from engine.durations import parse_duration
from engine.forms import check_schema
from engine.sandbox import SandboxError, check_expression, check_script

RESERVED_IDS = {"Start", "End"}
FORM_TAGS = {"userTask", "manualTask", "task", "startEvent"}
FORM_PROPERTIES = ("formJsonSchemaFilename", "formUiSchemaFilename")
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _owner(el: etree._Element) -> etree._Element:
    """The nearest ancestor (or self) that has an id: the element a problem is pinned to. Spiff extension elements
    use `id` for other things (an operator's or parameter's name), so they never count."""
    node: etree._Element | None = el
    while node is not None and (not node.get("id") or etree.QName(node).namespace == SPIFF_NS):
        node = node.getparent()
    return node if node is not None else el


def _problem(fname: str, el: etree._Element, message: str) -> Problem:
    owner = _owner(el)
    return Problem(fname, message, element_id=owner.get("id"), line=el.sourceline)


def _check_code(fname: str, el: etree._Element, source: str, *, script: bool, what: str) -> Problem | None:
    if "${" in source or "#{" in source:
        return _problem(fname, el, f"{what} uses a JUEL expression ({source.strip()!r}); write a Python expression")
    try:
        (check_script if script else check_expression)(source)
    except SandboxError as exc:
        return _problem(fname, el, f"{what} does not compile in the sandbox: {exc.message}")
    return None


def _check_reserved(fname: str, root: etree._Element) -> list[Problem]:
    return [
        _problem(fname, el, f"the id {el.get('id')!r} is reserved by the engine; rename the element")
        for el in root.iter()
        if isinstance(el.tag, str) and el.get("id") in RESERVED_IDS
    ]


def _check_scripts(fname: str, process: etree._Element) -> list[Problem]:
    problems: list[Problem] = []
    for task in process.iter(f"{{{BPMN_NS}}}scriptTask"):
        fmt = (task.get("scriptFormat") or "python").lower()
        if fmt not in ("python", "python3", "text/x-python"):
            problems.append(_problem(fname, task, f"script format {fmt!r} is not supported; Flowdesk runs Python"))
            continue
        script = task.find("bpmn:script", NS)
        if script is None or not (script.text or "").strip():
            problems.append(_problem(fname, task, "script task has no script"))
        elif p := _check_code(fname, script, script.text or "", script=True, what="script"):
            problems.append(p)
    for tag in ("preScript", "postScript"):
        for el in process.iter(f"{{{SPIFF_NS}}}{tag}"):
            if (el.text or "").strip() and (p := _check_code(fname, el, el.text or "", script=True, what=tag)):
                problems.append(p)
    for cond in process.iter(f"{{{BPMN_NS}}}conditionExpression"):
        if p := _check_code(fname, cond, cond.text or "", script=False, what="condition"):
            problems.append(p)
    return problems


def _check_service_tasks(fname: str, process: etree._Element) -> list[Problem]:
    problems: list[Problem] = []
    known = services.registry()
    for task in process.iter(f"{{{BPMN_NS}}}serviceTask"):
        op = task.find("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NS)
        if op is None:
            hint = (
                " (Camunda delegates and external tasks cannot run here)"
                if any(k.startswith(f"{{{CAMUNDA_NS}}}") for k in task.attrib)
                else ""
            )
            problems.append(
                _problem(fname, task, f"service task has no operator{hint}; choose one of: " + ", ".join(sorted(known)))
            )
            continue
        name = op.get("id", "")
        if name not in known:
            problems.append(_problem(fname, op, f"unknown service operator {name!r}"))
            continue
        allowed, required = services.parameter_names(name)
        given = set()
        for param in op.iterfind("spiffworkflow:parameters/spiffworkflow:parameter", NS):
            pname = param.get("id", "")
            given.add(pname)
            if pname not in allowed:
                problems.append(_problem(fname, param, f"{name} has no parameter {pname!r}"))
            elif p := _check_code(fname, param, param.get("value", ""), script=False, what=f"parameter {pname!r}"):
                problems.append(p)
        for missing in sorted(required - given):
            problems.append(_problem(fname, op, f"{name} needs the parameter {missing!r}"))
    return problems


def _check_forms(fname: str, process: etree._Element, forms: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    for el in process.iter(f"{{{SPIFF_NS}}}property"):
        if el.get("name") not in FORM_PROPERTIES:
            continue
        owner = _owner(el)
        if _local(owner) not in FORM_TAGS:
            continue
        form = el.get("value", "")
        if form not in forms:
            problems.append(_problem(fname, el, f"form {form!r} is referenced but not in the bundle"))
        elif el.get("name") == "formJsonSchemaFilename" and (reason := check_schema(forms[form])):
            problems.append(_problem(fname, el, f"form {form!r} is not a valid JSON Schema: {reason}"))
    return problems


ASSIGNMENT_PROPERTIES = ("assignee", "candidateGroup")  # Python expressions over the task's data


def _check_due(fname: str, process: etree._Element) -> list[Problem]:
    problems: list[Problem] = []
    for el in process.iter(f"{{{SPIFF_NS}}}property"):
        if el.get("name") in ASSIGNMENT_PROPERTIES:
            found = _check_code(fname, el, el.get("value", ""), script=False, what=el.get("name", ""))
            if found:
                problems.append(found)
        if el.get("name") == "dueIn":
            try:
                parse_duration(el.get("value", ""))
            except InvalidInput as exc:
                problems.append(_problem(fname, el, f"dueIn: {exc.message}"))
    return problems


TIMER_TAGS = ("timeDuration", "timeDate", "timeCycle")


def _check_timer_literal(tag: str, expression: str) -> str | None:
    """Why a constant timer expression cannot fire (None when it is fine or not a constant)."""
    try:
        value = ast.literal_eval(expression.strip())
    except (ValueError, SyntaxError):
        return None  # computed from task data: checked when it runs
    if not isinstance(value, str):
        return f"{tag} must be an ISO 8601 string such as \"PT2H\""
    try:
        if tag == "timeDuration":
            TimerEventDefinition.parse_iso_duration(value)
        elif tag == "timeDate":
            TimerEventDefinition.parse_time_or_duration(value)
        else:
            TimerEventDefinition.parse_iso_recurring_interval(value)
    except Exception:  # the library raises several types for bad ISO 8601 text
        return f"{value!r} is not a valid ISO 8601 {'duration' if tag == 'timeDuration' else tag[4:].lower()}"
    return None


def _check_timers_and_messages(fname: str, root: etree._Element, process: etree._Element) -> list[Problem]:
    problems: list[Problem] = []
    for tag in TIMER_TAGS:
        for el in process.iter(f"{{{BPMN_NS}}}{tag}"):
            text = (el.text or "").strip()
            if not text:
                problems.append(_problem(fname, el, f"{tag} is empty"))
            elif p := _check_code(fname, el, text, script=False, what=tag):
                problems.append(p)
            elif reason := _check_timer_literal(tag, text):
                problems.append(_problem(fname, el, reason))
    for el in root.iter(f"{{{BPMN_NS}}}formalExpression", f"{{{BPMN_NS}}}messagePath"):
        parent = el.getparent()
        if parent is not None and etree.QName(parent).localname == "correlationPropertyRetrievalExpression" and (
                p := _check_code(fname, el, el.text or "", script=False, what="correlation expression")):
            problems.append(p)
    for el in process.iter(f"{{{SPIFF_NS}}}processVariableCorrelation"):
        expr = el.find("spiffworkflow:expression", NS)
        if expr is not None and (p := _check_code(fname, expr, expr.text or "", script=False,
                                                 what="process variable correlation")):
            problems.append(p)
    return problems


def check_process_xml(
    fname: str, root: etree._Element, process: etree._Element, *, forms: dict[str, Any]
) -> list[Problem]:
    """Every problem in one executable process that would make it fail at run time."""
    return [
        *_check_reserved(fname, root),
        *_check_scripts(fname, process),
        *_check_service_tasks(fname, process),
        *_check_forms(fname, process, forms),
        *_check_due(fname, process),
        *_check_timers_and_messages(fname, root, process),
    ]
