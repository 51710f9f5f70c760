"""Instance migration through the API: check, batch migrate, permissions and problem details."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from domain.db import transaction
from engine import deployment, runtime
from tests.bpmn_samples import bundle, simple_process
from tests.engine.test_migration import with_check_after_review

REVIEWER = runtime.Actor("rita", {"reviewers"})


def two_versions(v2_task: str = "Activity_Review", instances: int = 1) -> tuple[int, int, list[int]]:
    """A fresh process: v1 with `instances` instances waiting at the review, then v2; (v1 id, v2 id, instance ids)."""
    key = f"api_mig_{uuid.uuid4().hex[:8]}"
    with transaction() as session:
        v1 = deployment.deploy(session=session, files=bundle(simple_process(key=key)), actor="owner")[0].definition
        ids = [runtime.start_instance(session=session, process_key=key, actor=REVIEWER, variables={"amount": 60}).id
               for _ in range(instances)]
        v2_xml = with_check_after_review(simple_process(key=key, task_id=v2_task), v2_task)
        v2 = deployment.deploy(session=session, files=bundle(v2_xml), actor="owner")[0].definition
        return v1.id, v2.id, ids


def test_an_owner_checks_then_migrates_a_version_and_the_history_shows_it(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    owner = as_user("owner")
    v1, v2, [iid] = two_versions()
    checked = client.post("/api/v1/migrations/check", json={"target_definition_id": v2, "source_definition_id": v1},
                          headers=owner)
    assert checked.status_code == 200, checked.text
    [row] = checked.json()["instances"]
    assert (row["instance_id"], row["can_move"], [e["id"] for e in row["elements"]]) == (
        iid, True, ["Activity_Review"])
    done = client.post("/api/v1/migrations", json={"target_definition_id": v2, "instance_ids": [iid],
                                                   "expected_versions": {str(iid): row["lock_version"]}},
                       headers=owner).json()
    assert (done["moved"], done["refused"], done["results"][0]["code"]) == (1, 0, "moved")
    assert client.get(f"/api/v1/process-instances/{iid}", headers=owner).json()["version"] == 2
    events = client.get(f"/api/v1/process-instances/{iid}/history", headers=owner).json()["events"]
    migrated = next(e for e in events if e["type"] == "instance_migrated")
    assert (migrated["actor"], migrated["data"]["from_version"], migrated["data"]["to_version"]) == ("owner", 1, 2)


def test_a_missing_element_is_refused_until_the_owner_maps_it(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    owner = as_user("owner")
    _, v2, [iid] = two_versions(v2_task="Activity_Approve")
    body = {"target_definition_id": v2, "instance_ids": [iid]}
    [row] = client.post("/api/v1/migrations/check", json=body, headers=owner).json()["instances"]
    assert [(p["code"], p["element_id"]) for p in row["problems"]] == [("element_missing", "Activity_Review")]
    refused = client.post("/api/v1/migrations", json=body, headers=owner).json()
    assert (refused["moved"], refused["results"][0]["code"]) == (0, "element_missing")
    mapped = {**body, "mapping": {"Activity_Review": "Activity_Approve"}}
    assert client.post("/api/v1/migrations", json=mapped, headers=owner).json()["moved"] == 1
    tasks = client.get(f"/api/v1/process-instances/{iid}", headers=owner).json()["open_tasks"]
    assert [t["element_id"] for t in tasks] == ["Activity_Approve"]


def test_only_process_owners_and_admins_check_or_migrate(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    _, v2, [iid] = two_versions()
    body = {"target_definition_id": v2, "instance_ids": [iid]}
    for user in ("sales", "auditor", "manager"):
        for path in ("/api/v1/migrations/check", "/api/v1/migrations"):
            resp = client.post(path, json=body, headers=as_user(user))
            assert (resp.status_code, resp.json()["code"]) == (403, "not_a_process_owner"), (user, path)
    assert client.post("/api/v1/migrations/check", json=body, headers=as_user("admin")).status_code == 200


def test_bad_input_is_answered_with_problem_details(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    owner = as_user("owner")
    _, v2, _ = two_versions()
    nothing = client.post("/api/v1/migrations/check", json={"target_definition_id": v2}, headers=owner)
    assert (nothing.status_code, nothing.json()["code"]) == (422, "no_instances_selected")
    assert nothing.headers["content-type"].startswith("application/problem+json")
    unknown = client.post("/api/v1/migrations", json={"target_definition_id": 99999999, "instance_ids": [1]},
                          headers=owner)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "definition_not_found")
    extra = client.post("/api/v1/migrations", json={"target_definition_id": v2, "instance_ids": [1], "force": True},
                        headers=owner)
    assert extra.status_code == 422 and extra.headers["content-type"].startswith("application/problem+json")


def test_an_instance_that_changed_since_the_check_is_refused(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    owner = as_user("owner")
    _, v2, [iid] = two_versions()
    body = {"target_definition_id": v2, "instance_ids": [iid], "expected_versions": {str(iid): 0}}
    result = client.post("/api/v1/migrations", json=body, headers=owner).json()["results"][0]
    assert (result["moved"], result["code"]) == (False, "instance_changed")
