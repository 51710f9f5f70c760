"""Lint rules for a BPMN diagram, pinned to element ids: what parses and deploys, but would misbehave at run time.

Each finding has a severity. Errors refuse a deploy; warnings are shown and allowed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lxml import etree

from engine.bundle import BPMN_NS, NS
from engine.deployment import lane_group

ERROR = "error"
WARNING = "warning"

UNREACHABLE = "unreachable"
NO_DEFAULT_FLOW = "gateway-without-default"
MISSING_CONDITION = "missing-condition"
DEAD_END = "dead-end"
UNKNOWN_GROUP = "unknown-group"
UNKNOWN_OPERATOR = "unknown-operator"
NO_START_EVENT = "no-start-event"

# Why each rule has its severity (errors block a deploy):
SEVERITY = {
    # Drawn work that can never run; the library parses it without complaint, so only lint can say so.
    UNREACHABLE: ERROR,
    # A token that matches no condition has nowhere to go: in Flowdesk that is a runtime incident, not a branch.
    NO_DEFAULT_FLOW: ERROR,
    # A branch without condition out of a deciding gateway is either always or never taken: the intent is unclear.
    MISSING_CONDITION: ERROR,
    # BPMN allows an implicit end and SpiffWorkflow ends the branch there, so it runs; usually a forgotten flow.
    DEAD_END: WARNING,
    # Tasks of the lane go to a group nobody belongs to: they would wait in no one's inbox (admins only).
    UNKNOWN_GROUP: ERROR,
    # The service task would fail on every run (the deploy checks refuse it too).
    UNKNOWN_OPERATOR: ERROR,
    # Nothing can start the process.
    NO_START_EVENT: ERROR,
}

FLOW_NODES = {
    "task", "userTask", "manualTask", "serviceTask", "scriptTask", "businessRuleTask", "sendTask", "receiveTask",
    "callActivity", "subProcess", "transaction", "adHocSubProcess", "startEvent", "endEvent",
    "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent", "exclusiveGateway", "inclusiveGateway",
    "parallelGateway", "eventBasedGateway", "complexGateway",
}
DECIDING_GATEWAYS = {"exclusiveGateway", "inclusiveGateway"}
SCOPES = {"process", "subProcess", "transaction", "adHocSubProcess"}


@dataclass(frozen=True)
class Finding:
    """One lint or deploy-check finding on one element."""

    element_id: str | None
    code: str
    message: str
    severity: str
    file: str = ""
    line: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"element_id": self.element_id, "code": self.code, "message": self.message,
                "severity": self.severity, "file": self.file, "line": self.line}


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _bpmn(el: Any) -> bool:
    return isinstance(el.tag, str) and etree.QName(el).namespace == BPMN_NS


def _label(el: etree._Element) -> str:
    return el.get("name") or el.get("id") or _local(el)


class _Graph:
    """Flow nodes and sequence flows of one executable process (all scopes), with lookups the rules need."""

    def __init__(self, process: etree._Element) -> None:
        self.nodes = {el.get("id", ""): el for el in process.iter() if _bpmn(el) and _local(el) in FLOW_NODES}
        self.flows = [el for el in process.iter(f"{{{BPMN_NS}}}sequenceFlow")]
        self.outgoing: dict[str, list[etree._Element]] = {node_id: [] for node_id in self.nodes}
        self.incoming: dict[str, list[etree._Element]] = {node_id: [] for node_id in self.nodes}
        for flow in self.flows:
            self.outgoing.setdefault(flow.get("sourceRef", ""), []).append(flow)
            self.incoming.setdefault(flow.get("targetRef", ""), []).append(flow)

    def _successors(self, node_id: str) -> Iterable[str]:
        node = self.nodes[node_id]
        yield from (flow.get("targetRef", "") for flow in self.outgoing.get(node_id, []))
        yield from (b_id for b_id, b in self.nodes.items() if b.get("attachedToRef") == node_id)
        if _local(node) in SCOPES:  # entering a sub-process starts its own start events
            yield from (child.get("id", "") for child in node if _bpmn(child) and _local(child) == "startEvent")
        if (link := _link_name(node)) is not None and _local(node) == "intermediateThrowEvent":
            yield from (c_id for c_id, c in self.nodes.items()
                        if _local(c) == "intermediateCatchEvent" and _link_name(c) == link)

    def roots(self, process: etree._Element) -> list[str]:
        """Start events of the process itself and of its event sub-processes (started by their trigger)."""
        roots = [child.get("id", "") for child in process if _bpmn(child) and _local(child) == "startEvent"]
        for sub in process.iter(f"{{{BPMN_NS}}}subProcess"):
            if sub.get("triggeredByEvent") == "true":
                roots.append(sub.get("id", ""))
        return roots

    def reachable(self, roots: list[str]) -> set[str]:
        seen: set[str] = set()
        todo = [r for r in roots if r in self.nodes]
        while todo:
            node_id = todo.pop()
            if node_id in seen:
                continue
            seen.add(node_id)
            todo.extend(n for n in self._successors(node_id) if n in self.nodes and n not in seen)
        return seen


def _link_name(node: etree._Element) -> str | None:
    link = node.find("bpmn:linkEventDefinition", NS)
    return None if link is None else link.get("name", "")


def _finding(code: str, el: etree._Element, message: str, fname: str) -> Finding:
    return Finding(el.get("id"), code, message, SEVERITY[code], fname, el.sourceline)


def _unreachable(graph: _Graph, process: etree._Element, fname: str) -> list[Finding]:
    roots = graph.roots(process)
    if not roots:
        return [_finding(NO_START_EVENT, process, "the process has no start event", fname)]
    seen = graph.reachable(roots)
    return [
        _finding(UNREACHABLE, node, f"{_label(node)} cannot be reached from a start event", fname)
        for node_id, node in graph.nodes.items()
        if node_id not in seen and _local(node) != "startEvent"
    ]


def _gateways(graph: _Graph, fname: str) -> list[Finding]:
    findings: list[Finding] = []
    for node_id, node in graph.nodes.items():
        outs = graph.outgoing.get(node_id, [])
        if _local(node) not in DECIDING_GATEWAYS or len(outs) < 2:
            continue
        default = node.get("default")
        if not default:
            findings.append(_finding(NO_DEFAULT_FLOW, node, f"{_label(node)} has {len(outs)} outgoing flows and no "
                                     "default flow: a token matching no condition would stop here", fname))
        for flow in outs:
            cond = flow.find("bpmn:conditionExpression", NS)
            if flow.get("id") != default and (cond is None or not (cond.text or "").strip()):
                findings.append(_finding(MISSING_CONDITION, flow, f"the flow {_label(flow)} out of {_label(node)} "
                                         "needs a condition (or make it the default flow)", fname))
    return findings


def _ends_without_flow(node: etree._Element) -> bool:
    """Nodes for which no outgoing flow is normal."""
    kind = _local(node)
    return (kind == "endEvent" or node.get("isForCompensation") == "true"
            or (kind == "subProcess" and node.get("triggeredByEvent") == "true")
            or (kind == "intermediateThrowEvent" and _link_name(node) is not None)
            or (kind == "boundaryEvent" and node.find("bpmn:compensateEventDefinition", NS) is not None))


def _dead_ends(graph: _Graph, fname: str) -> list[Finding]:
    return [
        _finding(DEAD_END, node, f"{_label(node)} has no outgoing flow; connect it or end with an end event", fname)
        for node_id, node in graph.nodes.items()
        if not graph.outgoing.get(node_id) and not _ends_without_flow(node)
    ]


def _lanes(process: etree._Element, groups: set[str], fname: str) -> list[Finding]:
    findings = []
    for lane in process.iter(f"{{{BPMN_NS}}}lane"):
        if lane.find("bpmn:childLaneSet", NS) is not None:
            continue  # a parent lane: its child lanes carry the groups
        group = lane_group(lane.get("name") or lane.get("id", ""))
        if group not in groups:
            findings.append(_finding(UNKNOWN_GROUP, lane, f"the lane {_label(lane)} maps to the group {group!r}, "
                                     "which does not exist; choose an existing group", fname))
    return findings


def _operators(process: etree._Element, operators: set[str], fname: str) -> list[Finding]:
    findings = []
    for task in process.iter(f"{{{BPMN_NS}}}serviceTask"):
        op = task.find("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NS)
        name = op.get("id", "") if op is not None else ""
        if name and name not in operators:
            findings.append(_finding(UNKNOWN_OPERATOR, task, f"{_label(task)} calls the unknown operator {name!r}",
                                     fname))
    return findings


def lint_process(process: etree._Element, *, groups: set[str], operators: set[str], fname: str = ""
                 ) -> list[Finding]:
    """Every lint finding of one process, in rule order."""
    graph = _Graph(process)
    return [*_unreachable(graph, process, fname), *_gateways(graph, fname), *_dead_ends(graph, fname),
            *_lanes(process, groups, fname), *_operators(process, operators, fname)]


def lint(root: etree._Element, *, groups: set[str], operators: set[str], fname: str = "") -> list[Finding]:
    """Every lint finding of the executable processes of a BPMN document."""
    findings: list[Finding] = []
    for process in root.findall("bpmn:process", NS):
        if process.get("isExecutable", "true").lower() == "true":
            findings.extend(lint_process(process, groups=groups, operators=operators, fname=fname))
    return findings

