"""Bad input through the API gets a clear error with a stable code, and changes nothing."""

from __future__ import annotations

import threading
from typing import Any

from fastapi.testclient import TestClient

from tests.web.test_api_lead_to_cash import START, only_task, start_to_qualify


def _history_len(client: TestClient, iid: int, headers: dict[str, str]) -> int:
    return len(client.get(f"/api/v1/process-instances/{iid}/history", headers=headers).json()["events"])


def test_requests_without_a_token_are_401_problems(client: TestClient, world: None) -> None:
    resp = client.get("/api/v1/tasks")
    assert resp.status_code == 401
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["code"] == "missing_token"


def test_wrong_password_gets_no_token(client: TestClient, world: None) -> None:
    resp = client.post("/api/v1/auth/token", json={"username": "sales", "password": "nope"})
    assert (resp.status_code, resp.json()["code"]) == (401, "bad_credentials")


def test_start_with_wrong_types_is_422_with_field_errors(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    body = {"process_key": "lead_to_cash", "variables": {"customer_code": 42, "lead_title": "x", "source": "fax"}}
    resp = client.post("/api/v1/process-instances", json=body, headers=as_user("sales"))
    assert resp.status_code == 422
    assert resp.json()["code"] == "invalid_form_data"
    assert {e["field"] for e in resp.json()["errors"]} == {"customer_code", "source"}


def test_start_for_unknown_customer_fails_at_the_service_task_and_leaves_nothing(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    sales = as_user("sales")
    before = client.get("/api/v1/tasks?scope=group", headers=sales).json()["count"]
    resp = client.post("/api/v1/process-instances", headers=sales,
                       json={"process_key": "lead_to_cash", "variables": {**START, "customer_code": "C-NOPE"}})
    assert resp.status_code == 404
    assert "Activity_LoadCustomer" in resp.json()["detail"]
    assert client.get("/api/v1/tasks?scope=group", headers=sales).json()["count"] == before


def test_unknown_process_is_404(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    resp = client.post("/api/v1/process-instances", json={"process_key": "nope"}, headers=as_user("sales"))
    assert (resp.status_code, resp.json()["code"]) == (404, "process_not_found")


def test_duplicate_business_key_is_a_conflict(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    sales = as_user("sales")
    body: dict[str, Any] = {"process_key": "lead_to_cash", "business_key": "DUP-1", "variables": START}
    assert client.post("/api/v1/process-instances", json=body, headers=sales).status_code == 201
    resp = client.post("/api/v1/process-instances", json=body, headers=sales)
    assert (resp.status_code, resp.json()["code"]) == (409, "duplicate_business_key")


def test_form_data_with_wrong_types_or_unknown_fields_is_422_and_changes_nothing(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    sales = as_user("sales")
    iid = start_to_qualify(client, sales)["id"]
    task = only_task(client, iid, sales)
    events = _history_len(client, iid, sales)
    resp = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=sales,
                       json={"data": {"qualified": "yes", "hacker": 1}})
    assert resp.status_code == 422
    assert {e["field"]: e["message"] for e in resp.json()["errors"]} == {
        "qualified": "Must be of type boolean.", "hacker": "Unknown field."}
    assert only_task(client, iid, sales)["id"] == task["id"]
    assert _history_len(client, iid, sales) == events


def test_completing_a_task_twice_is_a_conflict(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    sales = as_user("sales")
    task = only_task(client, start_to_qualify(client, sales)["id"], sales)
    url = f"/api/v1/tasks/{task['id']}/complete"
    assert client.post(url, json={"data": {"qualified": True}}, headers=sales).status_code == 200
    again = client.post(url, json={"data": {"qualified": True}}, headers=sales)
    assert (again.status_code, again.json()["code"]) == (409, "task_not_open")


def test_concurrent_completions_exactly_one_succeeds(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    sales = as_user("sales")
    iid = start_to_qualify(client, sales)["id"]
    task = only_task(client, iid, sales)
    barrier, codes = threading.Barrier(4), []

    def attempt() -> None:
        barrier.wait()
        resp = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"qualified": True}}, headers=sales)
        codes.append(resp.status_code)

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200, 409, 409, 409]
    events = client.get(f"/api/v1/process-instances/{iid}/history", headers=sales).json()["events"]
    assert [e["element_id"] for e in events if e["type"] == "task_completed"].count("Activity_QualifyLead") == 1


def test_another_groups_task_is_forbidden(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    sales, warehouse = as_user("sales"), as_user("warehouse")
    task = only_task(client, start_to_qualify(client, sales)["id"], sales)
    assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=warehouse).status_code == 403
    resp = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"qualified": True}}, headers=warehouse)
    assert (resp.status_code, resp.json()["code"]) == (403, "not_in_group")
    assert client.get(f"/api/v1/tasks/{task['id']}", headers=warehouse).status_code == 404


def test_task_claimed_by_someone_else_cannot_be_claimed_or_completed(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    sales, director = as_user("sales"), as_user("director")  # director is also in the sales group
    task = only_task(client, start_to_qualify(client, sales)["id"], sales)
    assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=sales).status_code == 200
    claim = client.post(f"/api/v1/tasks/{task['id']}/claim", headers=director)
    assert (claim.status_code, claim.json()["code"]) == (409, "claimed_by_other")
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"qualified": True}}, headers=director)
    assert (done.status_code, done.json()["code"]) == (409, "claimed_by_other")
    assert client.post(f"/api/v1/tasks/{task['id']}/unclaim", headers=sales).json()["assignee"] is None
    mine = client.get("/api/v1/tasks?scope=group", headers=director).json()
    assert task["id"] in {t["id"] for t in mine["tasks"]}


def test_deploy_requires_a_process_owner(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    files = {"files": ("x.bpmn", b"<x/>", "application/xml")}
    resp = client.post("/api/v1/process-definitions", files=files, headers=as_user("sales"))
    assert (resp.status_code, resp.json()["code"]) == (403, "not_a_process_owner")


def test_deploying_hostile_bpmn_is_422_with_element_errors(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    from tests.bpmn_samples import bundle, simple_process

    owner = as_user("owner")
    files = [("files", (f.name, f.content, "application/octet-stream"))
             for f in bundle(simple_process(key="api_evil", script="x = ().__class__.__base__.__subclasses__()"))]
    resp = client.post("/api/v1/process-definitions", files=files, headers=owner)
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["element_id"] == "Activity_Compute"
    listed = client.get("/api/v1/process-definitions?key=api_evil", headers=owner).json()
    assert listed == []


def test_deploying_twice_returns_the_same_version(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    from tests.bpmn_samples import bundle, simple_process

    owner = as_user("owner")
    files = [("files", (f.name, f.content, "application/octet-stream")) for f in bundle(simple_process(key="api_v"))]
    first = client.post("/api/v1/process-definitions", files=files, headers=owner)
    second = client.post("/api/v1/process-definitions", files=files, headers=owner)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["deployed"][0]["version"] == second.json()["deployed"][0]["version"] == 1


def test_openapi_lists_the_contract_paths(client: TestClient, world: None) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/v1/auth/token", "/api/v1/process-definitions", "/api/v1/process-instances",
                 "/api/v1/process-instances/{instance_id}", "/api/v1/process-instances/{instance_id}/history",
                 "/api/v1/tasks", "/api/v1/tasks/{task_id}", "/api/v1/tasks/{task_id}/claim",
                 "/api/v1/tasks/{task_id}/unclaim", "/api/v1/tasks/{task_id}/complete"):
        assert path in paths


def test_only_the_start_lanes_group_may_start_a_process(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    body = {"process_key": "lead_to_cash", "variables": START}
    resp = client.post("/api/v1/process-instances", json=body, headers=as_user("warehouse"))
    assert (resp.status_code, resp.json()["code"]) == (403, "not_allowed_to_start")
    assert client.post("/api/v1/process-instances", json=body, headers=as_user("admin")).status_code == 201
