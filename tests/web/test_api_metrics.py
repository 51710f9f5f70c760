"""/api/v1/metrics: monitoring figures as JSON, on a small process deployed for these tests and driven through the
engine (start -> check -> big? review, approve : quick check)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from domain.db import transaction
from engine import deployment, runtime
from engine.bundle import BundleFile
from engine.models import HumanTask, TaskStatus
from tests.engine.test_metrics import sample_process

RITA = runtime.Actor("rita", {"reviewers"})


@dataclass
class Sample:
    """Three instances of a fresh process: one small and done, one big waiting at Approve, one big at Review."""

    key: str
    done: int
    at_approve: int
    at_review: int


def start(key: str, amount: int) -> int:
    with transaction() as session:
        return runtime.start_instance(session=session, process_key=key, actor=RITA, variables={
            "amount": amount, "customer_tier": "key", "customer_code": f"C-{key}"}).id


def work(instance_id: int) -> None:
    """Complete the instance's open task as rita."""
    with transaction() as session:
        task = session.scalar(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                      HumanTask.status == TaskStatus.OPEN))
        assert task is not None
        runtime.complete_task(session=session, task_id=task.id, actor=RITA, data={})


def deploy_sample() -> Sample:
    key = f"dash_{uuid.uuid4().hex[:8]}"
    with transaction() as session:
        deployment.deploy(session=session, files=[BundleFile(f"{key}.bpmn", sample_process(key).encode())],
                          actor="owner")
    ids = [start(key, 50), start(key, 500), start(key, 500)]
    work(ids[0])
    work(ids[1])
    return Sample(key, *ids)


@pytest.fixture
def sample(world: None) -> Sample:
    return deploy_sample()


def get(client: TestClient, headers: dict[str, str], sample: Sample, path: str, **params: Any) -> Any:
    resp = client.get(f"/api/v1/metrics/{sample.key}/{path}", params=params, headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_kpis_count_started_completed_and_running_instances(client: TestClient, as_user: Any,
                                                            sample: Sample) -> None:
    body = get(client, as_user("manager"), sample, "kpis")
    assert sum(d["count"] for d in body["started_per_day"]) == 3
    assert sum(d["count"] for d in body["completed_per_day"]) == 1
    assert body["running"] == 2
    assert body["cycle_time"]["count"] == 1
    assert sum(b["count"] for b in body["cycle_histogram"]) == 1


def test_heatmap_shows_passed_and_waiting_per_element(client: TestClient, as_user: Any, sample: Sample) -> None:
    body = get(client, as_user("manager"), sample, "heatmap", mode="waiting")
    elements = {e["element_id"]: e for e in body["elements"]}
    assert body["mode"] == "waiting"
    assert (elements["Activity_Review"]["passed"], elements["Activity_Review"]["waiting_now"]) == (1, 1)
    assert (elements["Activity_Approve"]["passed"], elements["Activity_Approve"]["waiting_now"]) == (0, 1)
    assert elements["Activity_Check"]["passed"] == 3


def test_branches_show_the_share_of_each_path(client: TestClient, as_user: Any, sample: Sample) -> None:
    (gateway,) = get(client, as_user("manager"), sample, "branches")
    flows = {f["flow_id"]: (f["count"], round(f["share"], 3)) for f in gateway["flows"]}
    assert gateway["passages"] == 3
    assert flows == {"Flow_Big": (2, 0.667), "Flow_Small": (1, 0.333)}


def test_bottleneck_drill_down_lists_the_waiting_instance(client: TestClient, as_user: Any, sample: Sample) -> None:
    headers = as_user("manager")
    queues = get(client, headers, sample, "bottlenecks")["by_queue"]
    assert {(q["element_id"], q["waiting_now"]) for q in queues} == {("Activity_Review", 1), ("Activity_Approve", 1)}
    rows = get(client, headers, sample, "elements/Activity_Review/waiting")
    assert [r["instance_id"] for r in rows] == [sample.at_review]


def test_aging_and_workload_count_the_open_and_completed_tasks(client: TestClient, as_user: Any,
                                                               sample: Sample) -> None:
    headers = as_user("manager")
    aging = get(client, headers, sample, "aging", by="group")
    assert {r["name"]: sum(r["counts"]) for r in aging["rows"]} == {"reviewers": 2}
    workload = {w["user"]: w for w in get(client, headers, sample, "workload")}
    assert (workload["rita"]["claimed"], workload["rita"]["completed"]) == (0, 2)


def test_a_tier_filter_of_another_tier_finds_none_of_the_instances(client: TestClient, as_user: Any,
                                                                    sample: Sample) -> None:
    body = get(client, as_user("auditor"), sample, "kpis", customer_tier="strategic")
    assert body["started_per_day"] == [] and body["running"] == 0
    assert get(client, as_user("auditor"), sample, "kpis", customer_tier="key")["running"] == 2


def test_processes_lists_lead_to_cash_with_its_versions(client: TestClient, as_user: Any) -> None:
    resp = client.get("/api/v1/metrics/processes", headers=as_user("owner"))
    assert resp.status_code == 200
    assert "lead_to_cash" in {p["key"] for p in resp.json()}


@pytest.mark.parametrize("username", ["sales", "warehouse"])
def test_people_outside_monitoring_groups_are_refused(client: TestClient, as_user: Any, username: str) -> None:
    resp = client.get("/api/v1/metrics/lead_to_cash/kpis", headers=as_user(username))
    assert resp.status_code == 403
    assert resp.json()["code"] == "not_a_monitor"


def test_an_unknown_process_is_not_found(client: TestClient, as_user: Any) -> None:
    resp = client.get("/api/v1/metrics/no_such_process/kpis", headers=as_user("manager"))
    assert resp.status_code == 404
