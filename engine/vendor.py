"""Vendor extensions Flowdesk does not execute (Camunda, Zeebe, Flowable, Activiti, unused spiffworkflow parts).

A diagram drawn in another modeler deploys when its BPMN core is sound, but its camunda:assignee or zeebe:taskDefinition
would do nothing here. They are reported by name and element id as warnings, never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree

from engine.bundle import BPMN_NS, SPIFF_NS

VENDORS = {
    "http://camunda.org/schema/1.0/bpmn": "camunda",
    "http://camunda.org/schema/zeebe/1.0": "zeebe",
    "http://flowable.org/bpmn": "flowable",
    "http://activiti.org/bpmn": "activiti",
}
# Namespaces that carry no execution semantics: diagram layout, XML schema typing, the modeler's own bookkeeping.
NEUTRAL = {
    BPMN_NS,
    "http://www.omg.org/spec/BPMN/20100524/DI",
    "http://www.omg.org/spec/DD/20100524/DC",
    "http://www.omg.org/spec/DD/20100524/DI",
    "http://www.w3.org/2001/XMLSchema-instance",
    "http://www.w3.org/XML/1998/namespace",
    "http://camunda.org/schema/modeler/1.0",
    "http://bpmn.io/schema/bpmn/biocolor/1.0",
    "http://www.omg.org/spec/BPMN/non-normative/color/1.0",
}
# The spiffworkflow extension elements and properties Flowdesk (through SpiffWorkflow) acts on.
SPIFF_EXECUTED = {
    "properties", "property", "serviceTaskOperator", "parameters", "parameter", "preScript", "postScript",
    "calledDecisionId", "processVariableCorrelation", "expression", "messageVariable", "messagePayload", "retry",
    "propertyId",
}
SPIFF_PROPERTIES = {"formJsonSchemaFilename", "formUiSchemaFilename", "dueIn", "async", "assignee", "candidateGroup"}


@dataclass(frozen=True)
class VendorExtension:
    """One extension element or attribute that Flowdesk ignores, pinned to the element that carries it."""

    file: str
    name: str
    element_id: str | None
    line: int | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "name": self.name, "element_id": self.element_id, "line": self.line,
                "message": self.message}


def _prefix(uri: str, nsmap: dict[str | None, str]) -> str:
    if uri in VENDORS:
        return VENDORS[uri]
    if uri == SPIFF_NS:
        return "spiffworkflow"
    return next((p for p, u in nsmap.items() if u == uri and p), uri)


def _qualified(tag: str, nsmap: dict[str | None, str]) -> tuple[str, str]:
    """(namespace uri, prefix:localname) of a Clark-notation name."""
    q = etree.QName(tag)
    return q.namespace or "", f"{_prefix(q.namespace or '', nsmap)}:{q.localname}" if q.namespace else q.localname


def _owner_id(el: etree._Element) -> str | None:
    node: etree._Element | None = el
    while node is not None and not node.get("id"):
        node = node.getparent()
    return node.get("id") if node is not None else None


def _spiff_ignored(el: etree._Element) -> str | None:
    """Why a spiffworkflow element is not acted on (None when Flowdesk uses it)."""
    local = etree.QName(el).localname
    if local not in SPIFF_EXECUTED:
        return "spiffworkflow extension Flowdesk does not use"
    if local == "property" and el.get("name") not in SPIFF_PROPERTIES:
        return f"spiffworkflow property {el.get('name')!r} has no effect in Flowdesk"
    return None


def _walk(fname: str, el: etree._Element, nsmap: dict[str | None, str], out: list[VendorExtension]) -> None:
    for attr in el.attrib:
        uri, name = _qualified(str(attr), nsmap)
        if uri and uri not in NEUTRAL and uri != SPIFF_NS:
            out.append(VendorExtension(fname, name, _owner_id(el), el.sourceline,
                                       f"attribute {name} is not executed by Flowdesk"))
    for child in el:
        if not isinstance(child.tag, str):
            continue
        uri, name = _qualified(child.tag, nsmap)
        if uri == SPIFF_NS:
            if reason := _spiff_ignored(child):
                label = f"{name}[{child.get('name')}]" if etree.QName(child).localname == "property" else name
                out.append(VendorExtension(fname, label, _owner_id(el), child.sourceline, reason))
                continue
        elif uri not in NEUTRAL:
            # Report the outermost foreign element only: its children belong to it (camunda:inputOutput's parameters).
            out.append(VendorExtension(fname, name, _owner_id(el), child.sourceline,
                                       f"extension element {name} is not executed by Flowdesk"))
            continue
        _walk(fname, child, nsmap, out)


def unexecuted_extensions(fname: str, root: etree._Element) -> list[VendorExtension]:
    """Every extension element and attribute of a BPMN document that Flowdesk ignores, in document order."""
    nsmap: dict[str | None, str] = dict(root.nsmap)
    for el in root.iter():
        if isinstance(el.tag, str):
            nsmap.update({p: u for p, u in el.nsmap.items() if p not in nsmap})
    out: list[VendorExtension] = []
    _walk(fname, root, nsmap, out)
    return out


def distinct(warnings: list[VendorExtension]) -> list[VendorExtension]:
    """Each warning once, in first-seen order (a file with several processes reports for each)."""
    return list(dict.fromkeys(warnings))
