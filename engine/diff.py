"""What changed between two versions of a process: elements added, removed and changed, matched by id.

An element's content is split into aspects (name, type, attributes, condition, script, extensions, incoming,
outgoing, lane members, other content) so a change reads as "condition: total > 100 -> total > 500". Elements
nested in a tracked element without being flow elements themselves (event definitions, loop characteristics,
documentation) count as the owner's content; their own generated ids are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from engine.bundle import BPMN_NS, parse_xml

# Elements whose id'd children are compared one by one (the rest of an element's subtree is its content).
CONTAINERS = {"definitions", "process", "subProcess", "transaction", "adHocSubProcess", "collaboration",
              "laneSet", "lane", "childLaneSet"}
DIAGRAM_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
OWN_ASPECTS = {"conditionExpression": "condition", "script": "script", "extensionElements": "extensions",
               "incoming": "incoming", "outgoing": "outgoing", "flowNodeRef": "members"}


@dataclass(frozen=True)
class Element:
    """An element of one version."""

    id: str
    type: str
    name: str


@dataclass(frozen=True)
class AspectChange:
    aspect: str
    before: str
    after: str


@dataclass(frozen=True)
class Changed:
    element: Element
    changes: tuple[AspectChange, ...]


@dataclass
class Diff:
    added: list[Element] = field(default_factory=list)
    removed: list[Element] = field(default_factory=list)
    changed: list[Changed] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _name(tag: str, nsmap: dict[str | None, str]) -> str:
    q = etree.QName(tag)
    if not q.namespace or q.namespace == BPMN_NS:
        return q.localname
    prefix = next((p for p, u in nsmap.items() if u == q.namespace and p), q.namespace)
    return f"{prefix}:{q.localname}"


def _canon(el: etree._Element) -> str:
    """A stable one-line text of a subtree without generated ids (what a person compares)."""
    attrs = " ".join(f"{_name(str(k), el.nsmap)}={v!r}" for k, v in sorted(el.attrib.items()) if k != "id")
    text = (el.text or "").strip()
    children = " ".join(_canon(c) for c in el if isinstance(c.tag, str))
    inner = " ".join(p for p in (attrs, repr(text) if text else "", children) if p)
    return f"{_name(el.tag, el.nsmap)}({inner})" if inner else _name(el.tag, el.nsmap)


def _tracked(root: etree._Element) -> dict[str, etree._Element]:
    """The elements compared one by one: those with an id directly inside a container (and the containers)."""
    out: dict[str, etree._Element] = {}

    def visit(el: etree._Element) -> None:
        for child in el:
            if not isinstance(child.tag, str) or etree.QName(child).namespace == DIAGRAM_NS:
                continue
            if child.get("id"):
                out[str(child.get("id"))] = child
            if _local(child) in CONTAINERS:
                visit(child)

    visit(root)
    return out


def _aspects(el: etree._Element) -> dict[str, str]:
    """The comparable content of one tracked element, by aspect."""
    aspects: dict[str, list[str]] = {"type": [_name(el.tag, el.nsmap)], "name": [el.get("name") or ""]}
    attrs = [f"{_name(str(k), el.nsmap)}={v}" for k, v in sorted(el.attrib.items()) if k not in ("id", "name")]
    aspects["attributes"] = attrs
    for child in el:
        if not isinstance(child.tag, str):
            continue
        if child.get("id") and _local(el) in CONTAINERS:
            continue  # compared on its own
        local = _local(child)
        aspect = OWN_ASPECTS.get(local, "content") if etree.QName(child).namespace == BPMN_NS else "content"
        if aspect in ("incoming", "outgoing", "members", "condition", "script"):
            aspects.setdefault(aspect, []).append((child.text or "").strip())
        elif aspect == "extensions":
            aspects.setdefault(aspect, []).extend(_canon(c) for c in child if isinstance(c.tag, str))
        else:
            aspects.setdefault(aspect, []).append(_canon(child))
    for key in ("incoming", "outgoing", "members", "attributes"):
        if key in aspects:
            aspects[key] = sorted(aspects[key])
    return {k: "; ".join(v) for k, v in aspects.items()}


def _element(el: etree._Element) -> Element:
    return Element(str(el.get("id")), _local(el), el.get("name") or "")


def diff_xml(before: str, after: str) -> Diff:
    """The differences from the BPMN text before to after."""
    old = _tracked(parse_xml("before.bpmn", before.encode()))
    new = _tracked(parse_xml("after.bpmn", after.encode()))
    result = Diff(
        added=[_element(el) for i, el in new.items() if i not in old],
        removed=[_element(el) for i, el in old.items() if i not in new],
    )
    for element_id, el in new.items():
        if element_id not in old:
            continue
        a, b = _aspects(old[element_id]), _aspects(el)
        changes = tuple(AspectChange(k, a.get(k, ""), b.get(k, "")) for k in dict.fromkeys([*a, *b])
                        if a.get(k, "") != b.get(k, ""))
        if changes:
            result.changed.append(Changed(_element(el), changes))
    return result
