"""The modeler pages: Edit opens a draft, the page carries what the panel needs, save/validate/deploy as the page's
script calls them (session cookie + CSRF header), the form preview as the inbox renders it."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable

import pytest

from domain.db import transaction
from engine import deployment
from engine.models import ProcessDefinition, ProcessDraft
from tests.engine.test_drafts import lead_to_cash_files, without_default
from tests.web.conftest import Browser


@pytest.fixture
def v1(world: None) -> ProcessDefinition:
    with transaction() as session:
        key = f"l2c_{uuid.uuid4().hex[:6]}"
        return deployment.deploy(session=session, files=lead_to_cash_files(key), actor="owner")[0].definition


def open_draft(b: Browser, v1: ProcessDefinition) -> int:
    b.get(f"/processes/{v1.key}/1")
    resp = b.post(f"/processes/{v1.key}/1/edit", follow=False)
    assert resp.status_code == 303, resp.text
    return int(resp.headers["location"].rsplit("/", 1)[1])


def post_json(b: Browser, path: str, body: dict, csrf: bool = True):  # type: ignore[no-untyped-def]
    headers = {"X-CSRF-Token": b.token, "Accept": "application/json"} if csrf else {"Accept": "application/json"}
    return b.client.post(path, json=body, headers=headers)


def embedded(html: str, element_id: str) -> object:
    match = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', html, re.S)
    assert match, element_id
    return json.loads(match.group(1))


def test_the_version_page_offers_edit_to_owners_only(v1: ProcessDefinition, browser: Callable[..., Browser]) -> None:
    assert 'id="edit-version"' in browser("owner").get(f"/processes/{v1.key}/1").text
    assert 'id="edit-version"' not in browser("manager").get(f"/processes/{v1.key}/1").text


def test_edit_opens_the_modeler_on_a_new_draft(v1: ProcessDefinition, browser: Callable[..., Browser]) -> None:
    owner = browser("owner")
    draft_id = open_draft(owner, v1)
    html = owner.get(f"/modeler/drafts/{draft_id}").text
    assert "bpmn-modeler.production.min.js" in html and "dmn-modeler.production.min.js" in html
    draft = embedded(html, "modeler-draft")
    assert isinstance(draft, dict) and draft["bpmn_xml"] == v1.bpmn_xml and draft["version"] == 1
    operators = embedded(html, "modeler-operators")
    assert isinstance(operators, list) and "inventory.reserve_stock" in {o["name"] for o in operators}
    assert 'id="modeler-deploy"' in html


def test_a_manager_reads_a_draft_without_the_edit_buttons(
        v1: ProcessDefinition, browser: Callable[..., Browser]) -> None:
    draft_id = open_draft(browser("owner"), v1)
    html = browser("manager").get(f"/modeler/drafts/{draft_id}").text
    assert 'id="modeler-canvas"' in html and 'id="modeler-deploy"' not in html


def test_sales_cannot_open_a_draft(v1: ProcessDefinition, browser: Callable[..., Browser]) -> None:
    sales = browser("sales")
    sales.get("/")
    assert sales.post(f"/processes/{v1.key}/1/edit", follow=False).status_code == 403
    with transaction() as session:
        assert session.query(ProcessDraft).filter_by(process_key=v1.key).count() == 0


def test_save_validate_and_refused_deploy_from_the_page(v1: ProcessDefinition, browser: Callable[..., Browser]) -> None:
    owner = browser("owner")
    draft_id = open_draft(owner, v1)
    owner.get(f"/modeler/drafts/{draft_id}")
    saved = post_json(owner, f"/modeler/drafts/{draft_id}/save",
                      {"version": 1, "bpmn_xml": without_default(v1.bpmn_xml)})
    assert saved.status_code == 200 and saved.json()["version"] == 2
    found = post_json(owner, f"/modeler/drafts/{draft_id}/validate", {}).json()
    assert ("Gateway_ApprovalNeeded", "gateway-without-default") in {
        (f["element_id"], f["code"]) for f in found["findings"]}
    refused = post_json(owner, f"/modeler/drafts/{draft_id}/deploy", {"version": 2})
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    assert "Gateway_ApprovalNeeded" in {e["element_id"] for e in refused.json()["errors"]}


def test_a_page_save_without_the_csrf_header_is_refused(v1: ProcessDefinition, browser: Callable[..., Browser]) -> None:
    owner = browser("owner")
    draft_id = open_draft(owner, v1)
    resp = post_json(owner, f"/modeler/drafts/{draft_id}/save", {"version": 1, "bpmn_xml": "<x/>"}, csrf=False)
    assert resp.status_code == 403


def test_a_stale_page_save_is_a_conflict(v1: ProcessDefinition, browser: Callable[..., Browser]) -> None:
    owner = browser("owner")
    draft_id = open_draft(owner, v1)
    first = post_json(owner, f"/modeler/drafts/{draft_id}/save", {"version": 1, "bpmn_xml": v1.bpmn_xml + " "})
    assert first.is_success
    stale = post_json(owner, f"/modeler/drafts/{draft_id}/save", {"version": 1, "bpmn_xml": v1.bpmn_xml})
    assert stale.status_code == 409 and stale.json()["code"] == "stale_draft"


def test_deploy_from_the_page_lands_on_the_new_version(v1: ProcessDefinition, browser: Callable[..., Browser]) -> None:
    owner = browser("owner")
    draft_id = open_draft(owner, v1)
    renamed = v1.bpmn_xml.replace('name="Record payment"', 'name="Record the payment"')
    post_json(owner, f"/modeler/drafts/{draft_id}/save", {"version": 1, "bpmn_xml": renamed})
    resp = post_json(owner, f"/modeler/drafts/{draft_id}/deploy", {"version": 2})
    assert resp.status_code == 200 and resp.json()["url"] == f"/processes/{v1.key}/2"
    assert "Deployed Lead to cash v2." in owner.get(resp.json()["url"]).text


def test_the_form_preview_renders_as_the_inbox_does(browser: Callable[..., Browser], world: None) -> None:
    owner = browser("owner")
    owner.get("/")
    schema = {"title": "Check credit", "type": "object", "required": ["limit_ok"],
              "properties": {"limit_ok": {"type": "boolean", "title": "Within the credit limit"},
                             "note": {"type": "string"}}}
    html = owner.post("/modeler/form-preview", {"form_schema": json.dumps(schema), "form_ui": ""}, htmx=True).text
    assert "Check credit" in html and "Within the credit limit" in html and 'name="note"' in html


def test_the_form_preview_shows_invalid_json_inline(browser: Callable[..., Browser], world: None) -> None:
    owner = browser("owner")
    owner.get("/")
    resp = owner.post("/modeler/form-preview", {"form_schema": '{"type": "object",', "form_ui": ""}, htmx=True)
    assert resp.status_code == 200 and 'id="form-json-error"' in resp.text and "line 1" in resp.text


def test_the_timer_preview_speaks_the_users_language(browser: Callable[..., Browser], world: None) -> None:
    owner = browser("owner")
    owner.get("/")
    resp = post_json(owner, "/modeler/timer-preview", {"expression": '"P3D"', "kind": "timeDuration",
                                                        "position": "boundary"})
    assert resp.json() == {"ok": True, "text": "3 days after the task starts"}
