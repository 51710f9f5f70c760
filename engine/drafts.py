"""Process drafts: open a deployed version (or an upload) for editing, save with an optimistic version check,
validate (deploy checks + lint, one list pinned to elements), deploy as a new version."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain import clock
from domain.errors import Conflict, InvalidInput, NotFound
from domain.identity.models import Group
from engine import deployment, lint, services, vendor
from engine.bundle import NS, BundleFile, DefinitionRefused, Problem, parse_xml, read_bundle
from engine.models import ProcessDefinition, ProcessDraft

DEPLOY_CHECK = "deploy-check"
VENDOR_EXTENSION = "vendor-extension"
# SpiffWorkflow's parser messages that a lint rule reports on the same element in plainer words.
PARSER_DUPLICATES = {"Non-default exclusive outgoing sequence flow without condition": lint.MISSING_CONDITION}


@dataclass(frozen=True)
class Validation:
    """The findings of a draft, errors first."""

    findings: list[lint.Finding]

    @property
    def errors(self) -> list[lint.Finding]:
        return [f for f in self.findings if f.severity == lint.ERROR]

    @property
    def ok(self) -> bool:
        return not self.errors


def get(*, session: Session, draft_id: int) -> ProcessDraft:
    """The draft, else NotFound."""
    draft = session.get(ProcessDraft, draft_id)
    if draft is None:
        raise NotFound(f"no draft {draft_id}", code="draft_not_found")
    return draft


def _process_key(name: str, xml: str) -> str:
    root = parse_xml(name, xml.encode())
    for process in root.findall("bpmn:process", NS):
        if process.get("isExecutable", "true").lower() == "true" and process.get("id"):
            return str(process.get("id"))
    raise DefinitionRefused([Problem(name, 'no executable process (isExecutable="true")')])


def create_from_definition(*, session: Session, definition_id: int, actor: str) -> ProcessDraft:
    """A draft holding a copy of a deployed version's diagram, decision tables and forms."""
    definition = session.get(ProcessDefinition, definition_id)
    if definition is None:
        raise NotFound(f"no process definition {definition_id}", code="process_not_found")
    draft = ProcessDraft(process_key=definition.key, base_definition_id=definition.id,
                         bpmn_filename=definition.bpmn_filename or f"{definition.key}.bpmn",
                         bpmn_xml=definition.bpmn_xml, dmn_files=dict(definition.dmn_files or {}),
                         forms=dict(definition.forms or {}), created_by=actor, saved_by=actor)
    session.add(draft)
    session.flush()
    return draft


def open_for_edit(*, session: Session, definition_id: int, actor: str) -> ProcessDraft:
    """The newest undeployed draft opened from this version (owners share it, the version check keeps their saves
    apart), else a new one."""
    existing = session.scalar(select(ProcessDraft).where(ProcessDraft.base_definition_id == definition_id,
                                                         ProcessDraft.deployed_definition_id.is_(None))
                              .order_by(ProcessDraft.id.desc()).limit(1))
    return existing or create_from_definition(session=session, definition_id=definition_id, actor=actor)


def create_from_files(*, session: Session, files: list[BundleFile], actor: str) -> ProcessDraft:
    """A draft from uploaded files: one .bpmn, any .dmn and .json forms (malformed files are refused)."""
    bundle = read_bundle(files)
    if len(bundle.bpmn) != 1:
        raise DefinitionRefused([Problem("(bundle)", "a draft holds exactly one .bpmn file")])
    (fname, xml), = bundle.bpmn_text.items()
    latest = deployment.latest(session=session, key=_process_key(fname, xml))
    draft = ProcessDraft(process_key=_process_key(fname, xml), base_definition_id=latest.id if latest else None,
                         bpmn_filename=fname, bpmn_xml=xml, dmn_files=dict(bundle.dmn_text),
                         forms=dict(bundle.forms), created_by=actor, saved_by=actor)
    session.add(draft)
    session.flush()
    return draft


def _check_forms(forms: dict[str, Any]) -> None:
    bad = [name for name in forms if not name.endswith(".json")]
    if bad:
        raise InvalidInput(f"form file names end in .json: {', '.join(sorted(bad))}", code="bad_form_name")


def save(*, session: Session, draft_id: int, version: int, actor: str, bpmn_xml: str,
         dmn_files: dict[str, str] | None = None, forms: dict[str, Any] | None = None) -> ProcessDraft:
    """Store new content if the draft is still at `version`; a stale version raises Conflict and changes nothing."""
    draft = get(session=session, draft_id=draft_id)
    if draft.version != version:
        raise Conflict(f"the draft was saved by {draft.saved_by} meanwhile (version {draft.version}, yours "
                       f"{version}); reload it and apply your changes again", code="stale_draft")
    key = _process_key(draft.bpmn_filename, bpmn_xml)  # refuses malformed XML before anything changes
    for name, text in (dmn_files or {}).items():
        parse_xml(name, text.encode())
    if forms is not None:
        _check_forms(forms)
    draft.process_key, draft.bpmn_xml = key, bpmn_xml
    if dmn_files is not None:
        draft.dmn_files = dict(dmn_files)
    if forms is not None:
        draft.forms = dict(forms)
    draft.saved_by, draft.saved_at = actor, clock.now()
    session.flush()  # the version column moves on; a concurrent writer's flush fails on the old one
    return draft


def bundle_files(draft: ProcessDraft) -> list[BundleFile]:
    """The draft as the files of a deployment bundle."""
    return [
        BundleFile(draft.bpmn_filename, draft.bpmn_xml.encode()),
        *(BundleFile(name, text.encode()) for name, text in sorted(draft.dmn_files.items())),
        *(BundleFile(name, json.dumps(body, ensure_ascii=False).encode())
          for name, body in sorted(draft.forms.items())),
    ]


def _deploy_checks(draft: ProcessDraft) -> list[lint.Finding]:
    try:
        deployment.validate(bundle_files(draft))
    except DefinitionRefused as exc:
        return [lint.Finding(p.element_id, DEPLOY_CHECK, p.message, lint.ERROR, p.file, p.line)
                for p in exc.problems]
    return []


def group_names(session: Session) -> set[str]:
    """The groups lanes may map to."""
    return set(session.scalars(select(Group.name)))


def validate(*, session: Session, draft: ProcessDraft) -> Validation:
    """Deploy-time checks and lint of the draft in one list; an unknown operator is reported once."""
    try:
        root = parse_xml(draft.bpmn_filename, draft.bpmn_xml.encode())
    except DefinitionRefused as exc:
        return Validation([lint.Finding(p.element_id, DEPLOY_CHECK, p.message, lint.ERROR, p.file, p.line)
                           for p in exc.problems])
    checks = _deploy_checks(draft)
    found = lint.lint(root, groups=group_names(session), operators=set(services.registry()),
                      fname=draft.bpmn_filename)
    checked = {f.element_id for f in checks}
    found = [f for f in found if not (f.code == lint.UNKNOWN_OPERATOR and f.element_id in checked)]
    linted = {(f.element_id, f.code) for f in found}
    checks = [c for c in checks if not any(c.message.startswith(text) and (c.element_id, code) in linted
                                           for text, code in PARSER_DUPLICATES.items())]
    warnings = [lint.Finding(w.element_id, VENDOR_EXTENSION, w.message, lint.WARNING, w.file, w.line)
                for w in vendor.unexecuted_extensions(draft.bpmn_filename, root)]
    findings = [*checks, *found, *warnings]
    return Validation(sorted(findings, key=lambda f: f.severity != lint.ERROR))


def refusal(validation: Validation) -> InvalidInput:
    """The error a deploy of an invalid draft raises: every error, pinned to its element."""
    first = validation.errors[0]
    where = f" ({first.element_id})" if first.element_id else ""
    more = f" and {len(validation.errors) - 1} more" if len(validation.errors) > 1 else ""
    return InvalidInput(f"the draft has errors{where}: {first.message}{more}", code="invalid_draft",
                        errors=[f.as_dict() for f in validation.errors])


def deploy(*, session: Session, draft_id: int, version: int, actor: str) -> deployment.Deployed:
    """Deploy the draft as the next version of its process (same content -> the existing version).

    A stale version raises Conflict; errors raise InvalidInput listing them; either way nothing is deployed.
    """
    draft = get(session=session, draft_id=draft_id)
    if draft.version != version:
        raise Conflict(f"the draft changed meanwhile (version {draft.version}, yours {version}); reload it",
                       code="stale_draft")
    validation = validate(session=session, draft=draft)
    if not validation.ok:
        raise refusal(validation)
    results = deployment.deploy(session=session, files=bundle_files(draft), actor=actor)
    result = next((r for r in results if r.definition.key == draft.process_key), results[0])
    draft.deployed_definition_id = result.definition.id
    session.flush()
    return result
