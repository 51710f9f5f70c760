"""What pages read from a deployed diagram: element names, the process documentation, the start form's UI hints."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from lxml import etree

from engine import layout
from engine.deployment import UI_FORM_PROPERTY
from engine.models import ProcessDefinition

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"


@dataclass(frozen=True)
class DiagramInfo:
    names: dict[str, str] = field(default_factory=dict)
    documentation: str = ""
    start_ui_form: str | None = None


def info(definition: ProcessDefinition) -> DiagramInfo:
    """The diagram facts of a definition (definitions never change, so the result is cached by content)."""
    return _parse(definition.key, definition.content_hash, definition.bpmn_xml)


@lru_cache(maxsize=64)
def _parse(key: str, content_hash: str, xml: str) -> DiagramInfo:
    try:
        root = etree.fromstring(xml.encode(), parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return DiagramInfo()
    names = {el.get("id"): el.get("name") for el in root.iter() if isinstance(el.tag, str)
             and el.get("id") and el.get("name")}
    process = next((p for p in root.iter(f"{{{BPMN}}}process") if p.get("id") == key), None)
    if process is None:
        return DiagramInfo(names=names)
    doc = process.find(f"{{{BPMN}}}documentation")
    return DiagramInfo(names=names, documentation=(doc.text or "").strip() if doc is not None else "",
                       start_ui_form=_start_ui_form(process))


def _start_ui_form(process: Any) -> str | None:
    for start in process.findall(f"{{{BPMN}}}startEvent"):
        for prop in start.iter(f"{{{SPIFF}}}property"):
            if prop.get("name") == UI_FORM_PROPERTY and prop.get("value"):
                return str(prop.get("value"))
    return None


def start_form(definition: ProcessDefinition) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The start form's JSON Schema and UI hints, if the process has a start form."""
    schema = definition.forms.get(definition.start_form) if definition.start_form else None
    ui_file = info(definition).start_ui_form
    return schema, (definition.forms.get(ui_file) if ui_file else None)


def drawable_xml(definition: ProcessDefinition) -> str:
    """The version's BPMN for the viewer: as deployed, with an automatic layout if it came without BPMNDI."""
    return _drawable(definition.content_hash, definition.bpmn_xml)


@lru_cache(maxsize=32)
def _drawable(content_hash: str, xml: str) -> str:
    try:
        return layout.with_diagram(xml.encode()).decode()
    except etree.XMLSyntaxError:
        return xml
