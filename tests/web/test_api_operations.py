"""Instance operations through the API: suspend, resume, cancel (with reasons, in the history), incidents."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.test_api_lead_to_cash import only_task, start, start_to_qualify


def _op(client: TestClient, iid: int, op: str, headers: dict[str, str], reason: str = "customer asked to pause"):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/process-instances/{iid}/{op}", json={"reason": reason}, headers=headers)


def test_suspended_instances_refuse_completion_until_resumed(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    sales, owner = as_user("sales"), as_user("owner")
    iid = start_to_qualify(client, sales)["id"]
    task = only_task(client, iid, sales)
    assert _op(client, iid, "suspend", owner).json()["status"] == "suspended"
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"qualified": True}}, headers=sales)
    assert (done.status_code, done.json()["code"]) == (409, "instance_not_running")
    assert _op(client, iid, "resume", owner, reason="").json()["status"] == "running"
    again = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"qualified": True}}, headers=sales)
    assert again.status_code == 200
    events = client.get(f"/api/v1/process-instances/{iid}/history", headers=owner).json()["events"]
    suspended = next(e for e in events if e["type"] == "instance_suspended")
    assert (suspended["actor"], suspended["data"]["reason"]) == ("owner", "customer asked to pause")
    assert "instance_resumed" in [e["type"] for e in events]


def test_cancel_ends_the_instance_and_its_open_tasks(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    sales, owner = as_user("sales"), as_user("owner")
    iid = start(client, sales)["id"]
    task = only_task(client, iid, sales)
    out = _op(client, iid, "cancel", owner, reason="duplicate lead").json()
    assert out["status"] == "cancelled" and out["open_tasks"] == []
    assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=sales).json()["code"] == "task_not_open"
    assert _op(client, iid, "resume", owner).json()["code"] == "instance_state_conflict"


def test_a_reason_is_required_to_suspend_or_cancel(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    iid = start(client, as_user("sales"))["id"]
    resp = _op(client, iid, "cancel", as_user("owner"), reason="  ")
    assert (resp.status_code, resp.json()["code"]) == (422, "reason_required")


def test_only_process_owners_and_admins_operate_instances(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    iid = start(client, as_user("sales"))["id"]
    resp = _op(client, iid, "suspend", as_user("sales"))
    assert (resp.status_code, resp.json()["code"]) == (403, "not_an_operator")
    assert client.post("/api/v1/incidents/1/retry", headers=as_user("finance")).status_code == 403


def test_incidents_list_is_readable_and_retrying_an_unknown_one_is_404(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    owner = as_user("owner")
    assert isinstance(client.get("/api/v1/incidents?status=all", headers=owner).json(), list)
    resp = client.post("/api/v1/incidents/999999/retry", headers=owner)
    assert (resp.status_code, resp.json()["code"]) == (404, "incident_not_found")


def test_auditors_cannot_start_or_work_even_where_no_group_is_set(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    import re

    from tests.bpmn_samples import simple_process
    from tests.flow import deploy_xml

    xml = re.sub(r"<bpmn:laneSet.*?</bpmn:laneSet>", "", simple_process(key="open_to_all", form=None), flags=re.S)
    deploy_xml("open_to_all.bpmn", xml)
    auditor, admin = as_user("auditor"), as_user("admin")
    body = {"process_key": "open_to_all", "variables": {"amount": 500}}
    refused = client.post("/api/v1/process-instances", json=body, headers=auditor)
    assert (refused.status_code, refused.json()["code"]) == (403, "not_allowed_to_start")
    started = client.post("/api/v1/process-instances", json=body, headers=admin).json()
    [task] = started["open_tasks"]
    assert task["candidate_group"] is None
    assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=auditor).status_code == 403
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {}}, headers=auditor)
    assert done.status_code in (403, 404)
