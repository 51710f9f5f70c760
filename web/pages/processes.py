"""Deployed processes: every key with its versions and instance counts, one version's diagram and files,
upload & deploy from the browser, and the difference between two versions drawn on the diagram."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.errors import Forbidden, NotFound
from domain.identity.models import User
from engine import deployment, diff, vendor
from engine.bundle import BundleFile, DefinitionRefused, Problem, parse_xml
from engine.models import Incident, IncidentStatus, InstanceStatus, ProcessDefinition, ProcessInstance
from web.api.v1.process_definitions import bpmn_filename
from web.deps import DEPLOYER_GROUPS, SessionDep, require_deployer
from web.form_html import N_
from web.pages import diagram
from web.pages.common import UserDep, flash, gettext_for, page, redirect

router = APIRouter()
READER_GROUPS = {"admin", "process_owner", "manager"}
ASPECT_LABELS = {"name": N_("Name"), "type": N_("Type"), "attributes": N_("Attributes"), "condition": N_("Condition"),
                 "script": N_("Script"), "extensions": N_("Extensions"), "incoming": N_("Incoming flows"),
                 "outgoing": N_("Outgoing flows"), "members": N_("Lane members"), "content": N_("Other content")}


@dataclass
class Counts:
    """Instances of one version."""

    running: int = 0
    completed: int = 0
    incidents: int = 0


@dataclass
class ProcessRow:
    """One process key with its versions, newest first."""

    key: str
    name: str
    versions: list[tuple[ProcessDefinition, Counts]] = field(default_factory=list)


def _require_reader(user: User) -> None:
    if not (user.group_names & READER_GROUPS):
        raise Forbidden("only admins, process owners and managers may read deployed processes",
                        code="not_a_process_reader")


def _counts(session: Session) -> dict[int, Counts]:
    """Running, completed and open-incident instance counts per definition id."""
    counts: dict[int, Counts] = defaultdict(Counts)
    rows = session.execute(select(ProcessInstance.definition_id, ProcessInstance.status, func.count())
                           .group_by(ProcessInstance.definition_id, ProcessInstance.status))
    for definition_id, status, n in rows:
        if status == InstanceStatus.RUNNING:
            counts[definition_id].running = n
        elif status == InstanceStatus.COMPLETED:
            counts[definition_id].completed = n
    incident_rows = session.execute(
        select(ProcessInstance.definition_id, func.count(func.distinct(Incident.instance_id)))
        .join(ProcessInstance, ProcessInstance.id == Incident.instance_id)
        .where(Incident.status == IncidentStatus.OPEN)
        .group_by(ProcessInstance.definition_id))
    for definition_id, n in incident_rows:
        counts[definition_id].incidents = n
    return counts


def _process_rows(session: Session) -> list[ProcessRow]:
    counts = _counts(session)
    rows: dict[str, ProcessRow] = {}
    stmt = select(ProcessDefinition).order_by(ProcessDefinition.key, ProcessDefinition.version.desc())
    for d in session.scalars(stmt):
        row = rows.setdefault(d.key, ProcessRow(d.key, d.name))
        row.versions.append((d, counts.get(d.id, Counts())))
    return list(rows.values())


def _list_page(request: Request, session: Session, user: User, problems: list[Problem] | None = None,
               status_code: int = 200) -> HTMLResponse:
    return page(request, "processes.html", {
        "processes": _process_rows(session), "problems": problems or [],
        "may_deploy": bool(user.group_names & DEPLOYER_GROUPS),
    }, session=session, user=user, status_code=status_code)


def _version(session: Session, key: str, version: int) -> ProcessDefinition:
    definition = session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == key,
                                                                ProcessDefinition.version == version))
    if definition is None:
        raise NotFound(f"process {key!r} has no version {version}", code="process_not_found")
    return definition


@router.get("/processes", response_class=HTMLResponse)
def process_list(request: Request, session: SessionDep, user: UserDep) -> HTMLResponse:
    """Every process key with its versions (newest first) and their instance counts."""
    _require_reader(user)
    return _list_page(request, session, user)


@router.post("/processes/deploy", response_model=None)
async def deploy(request: Request, session: SessionDep, user: UserDep,
                 files: Annotated[list[UploadFile], File()]) -> Response:
    """Deploy the uploaded .bpmn/.dmn/.json files; refused bundles show their element-level errors, deploy nothing."""
    require_deployer(user)
    _ = gettext_for(request)
    bundle = [BundleFile(name=f.filename, content=await f.read()) for f in files if f.filename]
    try:
        if not bundle:
            raise DefinitionRefused([Problem("(bundle)", _("Choose at least one file."))])
        results = deployment.deploy(session=session, files=bundle, actor=user.username)
        session.commit()
    except DefinitionRefused as exc:
        session.rollback()
        return _list_page(request, session, user, exc.problems, status_code=422)
    for r in results:
        d = r.definition
        if r.created:
            flash(request, _("Deployed %(process)s v%(version)s.") % {"process": d.name, "version": d.version})
        else:
            flash(request, _("Unchanged: %(process)s has the same content as v%(version)s.")
                  % {"process": d.name, "version": d.version}, "info")
    warnings = vendor.distinct([w for r in results for w in r.warnings])
    if warnings:
        flash(request, _("%(n)s extensions in the diagram are not executed by Flowdesk; they are listed below.")
              % {"n": len(warnings)}, "warning")
    first = results[0].definition
    return redirect(f"/processes/{first.key}/{first.version}")


@router.get("/processes/{key}/diff", response_class=HTMLResponse)
def version_diff(request: Request, key: str, session: SessionDep, user: UserDep,
                 from_: Annotated[int | None, Query(alias="from")] = None,
                 to: int | None = None) -> HTMLResponse:
    """Elements added, removed and changed from one version to another; the changes marked on the newer diagram."""
    _require_reader(user)
    latest = deployment.latest(session=session, key=key)
    if latest is None:
        raise NotFound(f"no deployed process {key!r}", code="process_not_found")
    new = _version(session, key, to if to is not None else latest.version)
    old = _version(session, key, from_ if from_ is not None else max(new.version - 1, 1))
    result = diff.diff_xml(old.bpmn_xml, new.bpmn_xml)
    versions = list(session.scalars(select(ProcessDefinition.version).where(ProcessDefinition.key == key)
                                    .order_by(ProcessDefinition.version.desc())))
    markers = {"added": [e.id for e in result.added], "changed": [c.element.id for c in result.changed]}
    return page(request, "process_diff.html", {
        "old": old, "new": new, "diff": result, "versions": versions, "markers": markers,
        "aspect_labels": ASPECT_LABELS,
    }, session=session, user=user)


@router.get("/processes/{key}/{version}", response_class=HTMLResponse)
def version_page(request: Request, key: str, version: int, session: SessionDep, user: UserDep) -> HTMLResponse:
    """One version: its diagram, its forms and decision tables, the extensions Flowdesk ignores, and a download."""
    _require_reader(user)
    definition = _version(session, key, version)
    fname = definition.bpmn_filename or "diagram.bpmn"
    root = _xml_root(definition)
    warnings = vendor.unexecuted_extensions(fname, root) if root is not None else []
    forms = {name: json.dumps(body, indent=2, ensure_ascii=False) for name, body in sorted(definition.forms.items())}
    return page(request, "process_version.html", {
        "definition": definition, "instance_counts": _counts(session).get(definition.id, Counts()),
        "forms": forms, "dmn_files": dict(sorted((definition.dmn_files or {}).items())), "warnings": warnings,
    }, session=session, user=user)


def _xml_root(definition: ProcessDefinition) -> etree._Element | None:
    try:
        return parse_xml(definition.bpmn_filename or "diagram.bpmn", definition.bpmn_xml.encode())
    except DefinitionRefused:
        return None


@router.get("/processes/{key}/{version}/diagram.bpmn")
def drawable(key: str, version: int, session: SessionDep, user: UserDep) -> Response:
    """The BPMN XML of one version for the viewer (laid out automatically if it has no BPMNDI)."""
    _require_reader(user)
    definition = _version(session, key, version)
    return Response(diagram.drawable_xml(definition), media_type="application/xml",
                    headers={"Cache-Control": "private, max-age=3600"})


@router.get("/processes/{key}/{version}/download.bpmn")
def download(key: str, version: int, session: SessionDep, user: UserDep) -> Response:
    """The BPMN XML of one version, as deployed, as a file download."""
    _require_reader(user)
    definition = _version(session, key, version)
    return Response(definition.bpmn_xml, media_type="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="{bpmn_filename(definition)}"',
                             "Cache-Control": "private, max-age=3600"})
