"""/api/v1/process-drafts and the modeler helpers: create, get, save with version, validate, deploy; problem JSON."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from domain.db import transaction
from engine import deployment
from tests.engine.test_drafts import lead_to_cash_files, without_default

Headers = Callable[[str], dict[str, str]]


@pytest.fixture
def definition_id(world: None) -> int:
    """A lead_to_cash copy under a fresh key, v1."""
    with transaction() as session:
        key = f"l2c_{uuid.uuid4().hex[:6]}"
        return deployment.deploy(session=session, files=lead_to_cash_files(key), actor="owner")[0].definition.id


def new_draft(client: TestClient, as_user: Headers, definition_id: int) -> dict:
    resp = client.post("/api/v1/process-drafts", json={"definition_id": definition_id}, headers=as_user("owner"))
    assert resp.status_code == 201, resp.text
    return resp.json()


def test_an_owner_opens_a_draft_from_a_version(client: TestClient, as_user: Headers, definition_id: int) -> None:
    draft = new_draft(client, as_user, definition_id)
    assert draft["base_definition_id"] == definition_id and draft["version"] == 1
    fetched = client.get(f"/api/v1/process-drafts/{draft['id']}", headers=as_user("manager")).json()
    assert fetched["bpmn_xml"] == draft["bpmn_xml"] and "quote_approval.dmn" in fetched["dmn_files"]


def test_sales_may_not_open_a_draft(client: TestClient, as_user: Headers, definition_id: int) -> None:
    resp = client.post("/api/v1/process-drafts", json={"definition_id": definition_id}, headers=as_user("sales"))
    assert resp.status_code == 403 and resp.headers["content-type"] == "application/problem+json"
    assert resp.json()["code"] == "not_a_process_owner"


def test_a_stale_save_is_a_409_problem_and_the_draft_is_unchanged(
        client: TestClient, as_user: Headers, definition_id: int) -> None:
    draft = new_draft(client, as_user, definition_id)
    url = f"/api/v1/process-drafts/{draft['id']}"
    first = client.put(url, json={"version": 1, "bpmn_xml": draft["bpmn_xml"] + "\n"}, headers=as_user("owner"))
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = client.put(url, json={"version": 1, "bpmn_xml": "<x/>"}, headers=as_user("admin"))
    assert stale.status_code == 409 and stale.json()["code"] == "stale_draft"
    assert client.get(url, headers=as_user("owner")).json()["bpmn_xml"] == draft["bpmn_xml"] + "\n"


def test_validate_lists_findings_pinned_to_elements(client: TestClient, as_user: Headers, definition_id: int) -> None:
    draft = new_draft(client, as_user, definition_id)
    url = f"/api/v1/process-drafts/{draft['id']}"
    client.put(url, json={"version": 1, "bpmn_xml": without_default(draft["bpmn_xml"])}, headers=as_user("owner"))
    body = client.post(f"{url}/validate", headers=as_user("owner")).json()
    assert body["ok"] is False
    assert {(f["element_id"], f["code"], f["severity"]) for f in body["findings"]} == {
        ("Gateway_ApprovalNeeded", "gateway-without-default", "error"),
        ("Flow_WithinThreshold", "missing-condition", "error")}


def test_deploying_a_draft_with_errors_is_refused_with_element_messages(
        client: TestClient, as_user: Headers, definition_id: int) -> None:
    draft = new_draft(client, as_user, definition_id)
    url = f"/api/v1/process-drafts/{draft['id']}"
    client.put(url, json={"version": 1, "bpmn_xml": without_default(draft["bpmn_xml"])}, headers=as_user("owner"))
    resp = client.post(f"{url}/deploy", json={"version": 2}, headers=as_user("owner"))
    assert resp.status_code == 422 and resp.json()["code"] == "invalid_draft"
    assert "Gateway_ApprovalNeeded" in {e["element_id"] for e in resp.json()["errors"]}
    key = draft["process_key"]
    listed = client.get(f"/api/v1/process-definitions?key={key}", headers=as_user("owner")).json()
    assert [d["version"] for d in listed] == [1]


def test_a_valid_draft_deploys_as_v2(client: TestClient, as_user: Headers, definition_id: int) -> None:
    draft = new_draft(client, as_user, definition_id)
    url = f"/api/v1/process-drafts/{draft['id']}"
    renamed = draft["bpmn_xml"].replace('name="Ship order"', 'name="Ship the order"')
    client.put(url, json={"version": 1, "bpmn_xml": renamed}, headers=as_user("owner"))
    resp = client.post(f"{url}/deploy", json={"version": 2}, headers=as_user("owner"))
    assert resp.status_code == 201, resp.text
    assert (resp.json()["version"], resp.json()["created"]) == (2, True)
    again = client.post(f"{url}/deploy", json={"version": resp.json()["draft_version"]}, headers=as_user("owner"))
    assert again.status_code == 200 and again.json()["version"] == 2 and again.json()["created"] is False


def test_a_draft_can_start_from_an_upload(client: TestClient, as_user: Headers, world: None) -> None:
    key = f"up_{uuid.uuid4().hex[:6]}"
    parts = [("files", (f.name, f.content, "application/octet-stream")) for f in lead_to_cash_files(key)]
    resp = client.post("/api/v1/process-drafts/upload", files=parts, headers=as_user("owner"))
    assert resp.status_code == 201, resp.text
    assert resp.json()["process_key"] == key and resp.json()["base_definition_id"] is None


def test_the_operator_registry_lists_parameters_with_types(client: TestClient, as_user: Headers) -> None:
    ops = {o["name"]: o for o in client.get("/api/v1/modeler/operators", headers=as_user("owner")).json()}
    payment = {p["name"]: p for p in ops["finance.record_payment"]["parameters"]}
    assert payment["invoice_id"] == {"name": "invoice_id", "type": "integer", "spiff_type": "int", "required": True,
                                     "description": "Invoice Id"}
    assert (payment["amount"]["type"], payment["amount"]["spiff_type"]) == ("number|string", "Decimal")
    assert payment["reference"]["required"] is False
    assert {"asynchronous", "retries", "backoff_seconds"} <= set(ops["crm.get_customer"])


def test_the_groups_are_listed(client: TestClient, as_user: Headers) -> None:
    names = {g["name"] for g in client.get("/api/v1/modeler/groups", headers=as_user("owner")).json()}
    assert {"sales", "sales_management", "warehouse", "finance"} <= names


def test_a_timer_preview_reads_a_weekly_cycle(client: TestClient, as_user: Headers) -> None:
    resp = client.post("/api/v1/modeler/timer-preview", headers=as_user("owner"),
                       json={"expression": '"R/2026-11-30T09:00/P7D"', "kind": "timeCycle"})
    assert resp.json() == {"ok": True, "text": "every Monday 09:00"}


def test_a_bad_timer_preview_says_why(client: TestClient, as_user: Headers) -> None:
    resp = client.post("/api/v1/modeler/timer-preview", headers=as_user("owner"),
                       json={"expression": '"P3X"', "kind": "timeDuration", "position": "boundary"})
    assert resp.json()["ok"] is False and "ISO 8601" in resp.json()["text"]


def test_a_condition_that_does_not_compile_is_reported_with_its_reason(client: TestClient, as_user: Headers) -> None:
    bad = client.post("/api/v1/modeler/condition-check", headers=as_user("owner"),
                      json={"expression": "total >"}).json()
    good = client.post("/api/v1/modeler/condition-check", headers=as_user("owner"),
                       json={"expression": "total > 100 and approved"}).json()
    escape = client.post("/api/v1/modeler/condition-check", headers=as_user("owner"),
                         json={"expression": "().__class__"}).json()
    assert bad["ok"] is False and bad["message"]
    assert good == {"ok": True, "message": "", "line": None}
    assert escape["ok"] is False
