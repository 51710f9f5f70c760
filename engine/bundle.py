"""Reading a deployment bundle safely: BPMN/DMN XML without DTDs or entities, forms as JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from domain.errors import InvalidInput

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}
MAX_FILE_BYTES = 5_000_000


@dataclass(frozen=True)
class BundleFile:
    name: str
    content: bytes

    @classmethod
    def from_path(cls, path: str | Path) -> BundleFile:
        p = Path(path)
        return cls(name=p.name, content=p.read_bytes())


@dataclass(frozen=True)
class Problem:
    """One element-level deployment error."""

    file: str
    message: str
    element_id: str | None = None
    line: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "element_id": self.element_id, "line": self.line, "message": self.message}


class DefinitionRefused(InvalidInput):
    """The bundle cannot run; `errors` lists every problem found, pinned to elements."""

    def __init__(self, problems: list[Problem]) -> None:
        first = problems[0]
        where = f" ({first.element_id})" if first.element_id else ""
        more = f" and {len(problems) - 1} more" if len(problems) > 1 else ""
        super().__init__(
            f"{first.file}{where}: {first.message}{more}",
            code="invalid_definition",
            errors=[p.as_dict() for p in problems],
        )
        self.problems = problems


@dataclass
class Bundle:
    bpmn: dict[str, etree._Element] = field(default_factory=dict)
    bpmn_text: dict[str, str] = field(default_factory=dict)
    dmn: dict[str, etree._Element] = field(default_factory=dict)
    dmn_text: dict[str, str] = field(default_factory=dict)
    forms: dict[str, Any] = field(default_factory=dict)


def _safe_parser() -> etree.XMLParser:
    # No DTD loading, no entity expansion, no network: XXE and "billion laughs" cannot run.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def parse_xml(name: str, content: bytes) -> etree._Element:
    """The root element of content, or DefinitionRefused for malformed XML or any DTD."""
    if len(content) > MAX_FILE_BYTES:
        raise DefinitionRefused([Problem(name, f"file larger than {MAX_FILE_BYTES} bytes")])
    try:
        root = etree.fromstring(content, parser=_safe_parser())
    except etree.XMLSyntaxError as exc:
        raise DefinitionRefused([Problem(name, f"malformed XML: {exc.msg}", line=exc.lineno)]) from exc
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise DefinitionRefused([Problem(name, "DOCTYPE and entity declarations are not allowed", line=1)])
    return root


def read_bundle(files: list[BundleFile]) -> Bundle:
    """Sort files by kind (.bpmn, .dmn, .json) and parse each; refuse unknown kinds."""
    bundle = Bundle()
    problems: list[Problem] = []
    for f in files:
        lower = f.name.lower()
        try:
            if lower.endswith((".bpmn", ".bpmn20.xml")):
                bundle.bpmn[f.name] = parse_xml(f.name, f.content)
                bundle.bpmn_text[f.name] = f.content.decode("utf-8")
            elif lower.endswith(".dmn"):
                bundle.dmn[f.name] = parse_xml(f.name, f.content)
                bundle.dmn_text[f.name] = f.content.decode("utf-8")
            elif lower.endswith(".json"):
                bundle.forms[f.name] = json.loads(f.content)
            else:
                problems.append(Problem(f.name, "unknown file kind: expected .bpmn, .dmn or .json"))
        except DefinitionRefused as exc:
            problems.extend(exc.problems)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            line = getattr(exc, "lineno", None)
            problems.append(Problem(f.name, f"not valid UTF-8 JSON: {exc}", line=line))
    if problems:
        raise DefinitionRefused(problems)
    if not bundle.bpmn:
        raise DefinitionRefused([Problem("(bundle)", "no BPMN file in the bundle")])
    return bundle
