"""Deploying a bundle: validate everything the engine will run, then store a content-hashed version."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain import clock
from domain.errors import Conflict
from engine import history
from engine.bundle import NS, SPIFF_NS, Bundle, BundleFile, DefinitionRefused, Problem, read_bundle
from engine.checks import check_process_xml
from engine.models import ProcessDefinition
from engine.spiff import SERIALIZER, new_parser
from engine.vendor import VendorExtension, unexecuted_extensions

FORM_PROPERTY = "formJsonSchemaFilename"
UI_FORM_PROPERTY = "formUiSchemaFilename"


@dataclass(frozen=True)
class Deployed:
    definition: ProcessDefinition
    created: bool
    # Extensions of the diagram Flowdesk does not execute (camunda:*, zeebe:*, ...): deployed, but reported.
    warnings: tuple[VendorExtension, ...] = ()


def lane_group(lane_name: str) -> str:
    """The candidate group for a lane: its name as a lower-case identifier ("Sales Management" -> sales_management)."""
    return re.sub(r"\W+", "_", lane_name.strip().lower()).strip("_")


def _executable_processes(name: str, root: etree._Element) -> list[etree._Element]:
    processes = root.findall("bpmn:process", NS)
    executable = [p for p in processes if p.get("isExecutable", "true").lower() == "true"]
    if not executable:
        raise DefinitionRefused([Problem(name, 'no executable process (isExecutable="true")')])
    return executable


def _decision_files(bundle: Bundle) -> dict[str, str]:
    """decision id -> DMN file name."""
    out: dict[str, str] = {}
    for fname, root in bundle.dmn.items():
        for decision in root.iter("{*}decision"):
            out[decision.get("id", "")] = fname
    return out


def _referenced(process: etree._Element, prop: str) -> set[str]:
    return {
        el.get("value", "")
        for el in process.iter(f"{{{SPIFF_NS}}}property")
        if el.get("name") == prop and el.get("value")
    }


def _start_form(process: etree._Element) -> str | None:
    for start in process.findall("bpmn:startEvent", NS):
        if len(start) and not any(child.tag.endswith("EventDefinition") for child in start):
            forms = _referenced(start, FORM_PROPERTY)
            if forms:
                return sorted(forms)[0]
    return None


def _spiff_problem(fname: str, exc: Exception, lines: dict[str, int]) -> Problem:
    element_id = getattr(exc, "id", None) or None
    line = getattr(exc, "line_number", None) or (lines.get(element_id) if element_id else None)
    message = str(exc).split("\n")[0]
    return Problem(fname, message, element_id=element_id, line=line if isinstance(line, int) else None)


@dataclass
class _Candidate:
    key: str
    name: str
    bpmn_file: str
    bpmn_text: str
    dmn: dict[str, str]
    forms: dict[str, Any]
    spec_json: str
    start_form: str | None
    lane_groups: dict[str, str]
    warnings: tuple[VendorExtension, ...] = ()

    @property
    def content_hash(self) -> str:
        body = json.dumps({"bpmn": self.bpmn_text, "dmn": self.dmn, "forms": self.forms}, sort_keys=True)
        return hashlib.sha256(body.encode()).hexdigest()


def _build(bundle: Bundle, fname: str, root: etree._Element, process: etree._Element) -> _Candidate:
    key = process.get("id", "")
    lines = {el.get("id"): el.sourceline for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    problems = check_process_xml(fname, root, process, forms=bundle.forms)
    decisions = _decision_files(bundle)
    called = {el.text.strip() for el in process.iter(f"{{{SPIFF_NS}}}calledDecisionId") if el.text}
    for decision_id in sorted(called - set(decisions)):
        problems.append(Problem(fname, f"decision {decision_id!r} is not in the bundle (add its .dmn file)"))
    if problems:
        raise DefinitionRefused(problems)
    parser = new_parser()
    try:
        parser.add_bpmn_xml(root, fname)
        dmn_files = sorted({decisions[d] for d in called})
        for dmn_name in dmn_files:
            parser.add_dmn_xml(bundle.dmn[dmn_name], dmn_name)
        spec = parser.get_spec(key)
        subprocess_specs = parser.get_subprocess_specs(key)
    except ValidationException as exc:
        raise DefinitionRefused([_spiff_problem(fname, exc, lines)]) from exc
    except Exception as exc:  # the library raises many types for unparseable content
        raise DefinitionRefused([_spiff_problem(fname, exc, lines)]) from exc
    forms = {
        f: bundle.forms[f] for f in sorted(_referenced(process, FORM_PROPERTY) | _referenced(process, UI_FORM_PROPERTY))
    }
    lanes = {lane.get("name") or lane.get("id", ""): "" for lane in root.iter(f"{{{NS['bpmn']}}}lane")}
    return _Candidate(
        key=key,
        name=process.get("name") or key,
        bpmn_file=fname,
        bpmn_text=bundle.bpmn_text[fname],
        dmn={d: bundle.dmn_text[d] for d in dmn_files},
        forms=forms,
        spec_json=SERIALIZER.spec_to_json(spec, subprocess_specs),
        start_form=_start_form(process),
        lane_groups={name: lane_group(name) for name in lanes},
        warnings=tuple(unexecuted_extensions(fname, root)),
    )


def validate(files: list[BundleFile]) -> list[_Candidate]:
    """Every executable process of the bundle, checked and compiled; DefinitionRefused lists all problems."""
    bundle = read_bundle(files)
    candidates: list[_Candidate] = []
    problems: list[Problem] = []
    for fname, root in bundle.bpmn.items():
        try:
            for process in _executable_processes(fname, root):
                candidates.append(_build(bundle, fname, root, process))
        except DefinitionRefused as exc:
            problems.extend(exc.problems)
    if problems:
        raise DefinitionRefused(problems)
    return candidates


def deploy(*, session: Session, files: list[BundleFile], actor: str) -> list[Deployed]:
    """Validate and store each process of the bundle: new content -> next version, same content -> same version."""
    results: list[Deployed] = []
    for cand in validate(files):
        existing = session.scalar(
            select(ProcessDefinition).where(
                ProcessDefinition.key == cand.key, ProcessDefinition.content_hash == cand.content_hash
            )
        )
        if existing is not None:
            results.append(Deployed(existing, created=False, warnings=cand.warnings))
            continue
        latest = session.scalar(select(func.max(ProcessDefinition.version)).where(ProcessDefinition.key == cand.key))
        definition = ProcessDefinition(
            key=cand.key,
            version=(latest or 0) + 1,
            name=cand.name,
            content_hash=cand.content_hash,
            bpmn_xml=cand.bpmn_text,
            bpmn_filename=cand.bpmn_file,
            dmn_files=cand.dmn,
            forms=cand.forms,
            spec_json=cand.spec_json,
            start_form=cand.start_form,
            lane_groups=cand.lane_groups,
            deployed_by=actor,
        )
        try:
            with session.begin_nested():
                session.add(definition)
                session.flush()
        except IntegrityError as exc:
            raise Conflict(f"{cand.key} was deployed concurrently; try again", code="concurrent_deploy") from exc
        _schedule_start_timer(session, definition)
        history.record(
            session=session,
            type_=history.EventType.DEFINITION_DEPLOYED,
            actor=actor,
            definition_id=definition.id,
            chain=f"definition:{cand.key}",
            data={"key": cand.key, "version": definition.version, "content_hash": cand.content_hash},
        )
        results.append(Deployed(definition, created=True, warnings=cand.warnings))
    return results


_LATEST = (
    select(ProcessDefinition)
    .where(ProcessDefinition.key == bindparam("key"))
    .order_by(ProcessDefinition.version.desc())
    .limit(1)
)


def _schedule_start_timer(session: Session, definition: ProcessDefinition) -> None:
    """A definition started by a timer gets its first start scheduled (older versions stop at their next tick)."""
    from engine import store, timers

    start_spec = timers.start_timer_spec(store.definition_info(session, definition.id).spec)
    if start_spec is not None and (first := timers.first_start(start_spec, clock.now())) is not None:
        timers.schedule_start(session=session, definition_id=definition.id, schedule=first)


def latest(*, session: Session, key: str) -> ProcessDefinition | None:
    """The newest version of a process key."""
    return session.scalar(_LATEST, {"key": key})


def list_latest(*, session: Session) -> list[ProcessDefinition]:
    """The newest version of every process key."""
    newest = (
        select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("v"))
        .group_by(ProcessDefinition.key)
        .subquery()
    )
    stmt = select(ProcessDefinition).join(
        newest, (ProcessDefinition.key == newest.c.key) & (ProcessDefinition.version == newest.c.v)
    )
    return list(session.scalars(stmt.order_by(ProcessDefinition.key)))
