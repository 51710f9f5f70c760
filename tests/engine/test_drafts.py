"""Drafts: opened from a version or an upload, saved with an optimistic version, validated, deployed as a version."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.errors import Conflict, InvalidInput
from engine import deployment, drafts
from engine.bundle import BundleFile, DefinitionRefused
from engine.models import ProcessDefinition
from flowdesk.demo import process_bundle

ACTOR = "owner"


def lead_to_cash_files(key: str) -> list[BundleFile]:
    """processes/ with lead_to_cash renamed to key (the shared lead_to_cash stays as it is)."""
    files = []
    for f in process_bundle():
        if f.name.endswith(".bpmn") and f.name != "lead_to_cash.bpmn":
            continue
        content = f.content
        if f.name == "lead_to_cash.bpmn":
            content = content.replace(b'"lead_to_cash"', f'"{key}"'.encode())
        files.append(BundleFile(f.name, content))
    return files


@pytest.fixture
def v1(session: Session, world: None) -> ProcessDefinition:
    key = f"l2c_{uuid.uuid4().hex[:6]}"
    return deployment.deploy(session=session, files=lead_to_cash_files(key), actor=ACTOR)[0].definition


def versions(session: Session, key: str) -> int:
    return int(session.scalar(select(func.count()).select_from(ProcessDefinition).where(ProcessDefinition.key == key))
               or 0)


def without_default(xml: str) -> str:
    return xml.replace(' default="Flow_WithinThreshold"', "")


def test_a_draft_opened_from_a_version_holds_its_files(session: Session, v1: ProcessDefinition) -> None:
    draft = drafts.create_from_definition(session=session, definition_id=v1.id, actor=ACTOR)
    assert (draft.process_key, draft.base_definition_id, draft.version) == (v1.key, v1.id, 1)
    assert draft.bpmn_xml == v1.bpmn_xml and draft.bpmn_filename == "lead_to_cash.bpmn"
    assert set(draft.dmn_files) == {"lead_assignment.dmn", "quote_discount.dmn", "quote_approval.dmn"}
    assert "prepare_quote.schema.json" in draft.forms and draft.saved_by == ACTOR


def test_saving_moves_the_version_on(session: Session, v1: ProcessDefinition) -> None:
    draft = drafts.create_from_definition(session=session, definition_id=v1.id, actor=ACTOR)
    saved = drafts.save(session=session, draft_id=draft.id, version=1, actor="admin",
                        bpmn_xml=without_default(draft.bpmn_xml))
    assert saved.version == 2 and saved.saved_by == "admin" and 'default="Flow_WithinThreshold"' not in saved.bpmn_xml


def test_saving_a_stale_version_is_a_conflict_and_keeps_the_stored_draft(
        session: Session, v1: ProcessDefinition) -> None:
    draft = drafts.create_from_definition(session=session, definition_id=v1.id, actor=ACTOR)
    drafts.save(session=session, draft_id=draft.id, version=1, actor="admin", bpmn_xml=draft.bpmn_xml + "\n")
    with pytest.raises(Conflict) as exc:
        drafts.save(session=session, draft_id=draft.id, version=1, actor=ACTOR, bpmn_xml=without_default(v1.bpmn_xml))
    assert exc.value.code == "stale_draft"
    assert draft.version == 2 and draft.bpmn_xml == v1.bpmn_xml + "\n" and draft.saved_by == "admin"


def test_malformed_xml_is_not_saved(session: Session, v1: ProcessDefinition) -> None:
    draft = drafts.create_from_definition(session=session, definition_id=v1.id, actor=ACTOR)
    with pytest.raises(DefinitionRefused):
        drafts.save(session=session, draft_id=draft.id, version=1, actor=ACTOR, bpmn_xml="<bpmn:definitions")
    assert draft.version == 1 and draft.bpmn_xml == v1.bpmn_xml


def test_an_unchanged_lead_to_cash_validates_clean(session: Session, v1: ProcessDefinition) -> None:
    draft = drafts.create_from_definition(session=session, definition_id=v1.id, actor=ACTOR)
    result = drafts.validate(session=session, draft=draft)
    assert result.ok and result.findings == []


def test_validation_pins_lint_errors_to_the_gateway(session: Session, v1: ProcessDefinition) -> None:
    draft = drafts.create_from_definition(session=session, definition_id=v1.id, actor=ACTOR)
    drafts.save(session=session, draft_id=draft.id, version=1, actor=ACTOR, bpmn_xml=without_default(draft.bpmn_xml))
    result = drafts.validate(session=session, draft=draft)
    assert not result.ok
    assert {(f.element_id, f.code) for f in result.errors} == {
        ("Gateway_ApprovalNeeded", "gateway-without-default"), ("Flow_WithinThreshold", "missing-condition")}


def test_deploy_check_problems_are_pinned_to_the_task_not_the_operator(
        session: Session, v1: ProcessDefinition) -> None:
    draft = drafts.create_from_definition(session=session, definition_id=v1.id, actor=ACTOR)
    broken = draft.bpmn_xml.replace('id="inventory.reserve_stock"', 'id="inventory.teleport_stock"')
    drafts.save(session=session, draft_id=draft.id, version=1, actor=ACTOR, bpmn_xml=broken)
    errors = drafts.validate(session=session, draft=draft).errors
    assert [(f.element_id, f.code) for f in errors] == [("Activity_ReserveStock", "deploy-check")]
    assert "inventory.teleport_stock" in errors[0].message


def test_a_valid_draft_deploys_as_the_next_version(session: Session, v1: ProcessDefinition) -> None:
    draft = drafts.create_from_definition(session=session, definition_id=v1.id, actor=ACTOR)
    renamed = draft.bpmn_xml.replace('name="Qualify lead"', 'name="Qualify the lead"')
    drafts.save(session=session, draft_id=draft.id, version=1, actor=ACTOR, bpmn_xml=renamed)
    result = drafts.deploy(session=session, draft_id=draft.id, version=2, actor=ACTOR)
    assert result.created and (result.definition.key, result.definition.version) == (v1.key, 2)
    assert "Qualify the lead" in result.definition.bpmn_xml and draft.deployed_definition_id == result.definition.id


def test_deploying_unchanged_content_gives_the_existing_version(session: Session, v1: ProcessDefinition) -> None:
    draft = drafts.create_from_definition(session=session, definition_id=v1.id, actor=ACTOR)
    result = drafts.deploy(session=session, draft_id=draft.id, version=1, actor=ACTOR)
    assert not result.created and result.definition.id == v1.id and versions(session, v1.key) == 1


def test_a_draft_with_errors_is_refused_and_nothing_is_deployed(session: Session, v1: ProcessDefinition) -> None:
    draft = drafts.create_from_definition(session=session, definition_id=v1.id, actor=ACTOR)
    drafts.save(session=session, draft_id=draft.id, version=1, actor=ACTOR, bpmn_xml=without_default(draft.bpmn_xml))
    with pytest.raises(InvalidInput) as exc:
        drafts.deploy(session=session, draft_id=draft.id, version=2, actor=ACTOR)
    assert exc.value.code == "invalid_draft"
    assert {e["element_id"] for e in exc.value.errors} == {"Gateway_ApprovalNeeded", "Flow_WithinThreshold"}
    assert versions(session, v1.key) == 1 and draft.deployed_definition_id is None


def test_deploying_a_stale_version_is_a_conflict(session: Session, v1: ProcessDefinition) -> None:
    draft = drafts.create_from_definition(session=session, definition_id=v1.id, actor=ACTOR)
    drafts.save(session=session, draft_id=draft.id, version=1, actor=ACTOR, bpmn_xml=draft.bpmn_xml + "\n")
    with pytest.raises(Conflict):
        drafts.deploy(session=session, draft_id=draft.id, version=1, actor=ACTOR)
    assert versions(session, v1.key) == 1


def test_a_draft_from_uploaded_files_takes_the_process_key_from_the_diagram(session: Session, world: None) -> None:
    key = f"up_{uuid.uuid4().hex[:6]}"
    draft = drafts.create_from_files(session=session, files=lead_to_cash_files(key), actor=ACTOR)
    assert draft.process_key == key and draft.base_definition_id is None
    assert "quote_approval.dmn" in draft.dmn_files and "ship_order.schema.json" in draft.forms
    assert drafts.validate(session=session, draft=draft).ok


def test_an_upload_with_two_diagrams_is_refused(session: Session, world: None) -> None:
    files = lead_to_cash_files("first") + [BundleFile("second.bpmn", lead_to_cash_files("second")[0].content)]
    with pytest.raises(DefinitionRefused):
        drafts.create_from_files(session=session, files=files, actor=ACTOR)


def test_editing_a_version_again_reopens_its_pending_draft(session: Session, v1: ProcessDefinition) -> None:
    first = drafts.open_for_edit(session=session, definition_id=v1.id, actor=ACTOR)
    assert drafts.open_for_edit(session=session, definition_id=v1.id, actor="admin").id == first.id


def test_once_deployed_a_draft_is_not_reopened(session: Session, v1: ProcessDefinition) -> None:
    first = drafts.open_for_edit(session=session, definition_id=v1.id, actor=ACTOR)
    drafts.deploy(session=session, draft_id=first.id, version=1, actor=ACTOR)
    assert drafts.open_for_edit(session=session, definition_id=v1.id, actor=ACTOR).id != first.id
