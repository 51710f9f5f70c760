"""A worker killed with SIGKILL mid-job: another worker takes the job after its lease; the effect happens once."""

from __future__ import annotations

import os
import signal
import uuid
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

from domain.db import transaction
from domain.inventory.models import StockMove
from engine import jobs, runtime
from engine.models import Job, JobStatus, ProcessInstance
from tests.bpmn_samples import HEADER
from tests.flow import deploy_xml, open_tasks
from tests.tasks.workers import REDIS_URL, redis_or_skip, spawn_worker, stop, use_queue, wait_for

pytestmark = pytest.mark.redis
LEASE_SECONDS = "3"


def _process(key: str) -> str:
    params = "".join(
        f'<spiffworkflow:parameter id="{name}" type="str" value="{name}"/>'
        for name in ("sku", "warehouse_code", "quantity", "reference", "pause_flag"))
    return (HEADER + f'<bpmn:process id="{key}" isExecutable="true">\n'
            '<bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>\n'
            '<bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Activity_Receive"/>\n'
            '<bpmn:serviceTask id="Activity_Receive" name="Receive"><bpmn:extensionElements>'
            '<spiffworkflow:serviceTaskOperator id="faults.receive_then_pause" resultVariable="receipt">'
            f"<spiffworkflow:parameters>{params}</spiffworkflow:parameters></spiffworkflow:serviceTaskOperator>"
            "</bpmn:extensionElements><bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing>"
            "</bpmn:serviceTask>\n"
            '<bpmn:sequenceFlow id="Flow_2" sourceRef="Activity_Receive" targetRef="Activity_Check"/>\n'
            '<bpmn:userTask id="Activity_Check" name="Check"><bpmn:incoming>Flow_2</bpmn:incoming>'
            "<bpmn:outgoing>Flow_3</bpmn:outgoing></bpmn:userTask>\n"
            '<bpmn:sequenceFlow id="Flow_3" sourceRef="Activity_Check" targetRef="EndEvent_1"/>\n'
            '<bpmn:endEvent id="EndEvent_1"><bpmn:incoming>Flow_3</bpmn:incoming></bpmn:endEvent>\n'
            "</bpmn:process>\n</bpmn:definitions>\n")


def test_a_job_of_a_killed_worker_runs_once_on_another_worker(world: None, database_url: str, fault_operators: None,
                                                             tmp_path: Path) -> None:
    redis_or_skip()
    from tasks.celery_app import sweep

    queue, key = f"flowdesk-faults-{uuid.uuid4().hex[:8]}", f"faults_{uuid.uuid4().hex[:6]}"
    flag = tmp_path / "pause-once"
    flag.write_text("the first worker to run the job stalls here and is killed")
    env = {"FLOWDESK_OPERATOR_MODULES": "tests.fault_operators", "FLOWDESK_JOB_LEASE_SECONDS": LEASE_SECONDS}
    deploy_xml(f"{key}.bpmn", _process(key))
    first = spawn_worker(database_url=database_url, queue=queue, log=tmp_path / "first.log", **env)
    second = None
    app = use_queue(queue)
    try:
        with transaction() as session:
            inst = runtime.start_instance(session=session, process_key=key, actor=runtime.Actor("ops", {"ops"}),
                                          variables={"sku": "VALVE-25", "warehouse_code": "WH-MAIN",
                                                     "quantity": "7", "reference": f"fault-{key}",
                                                     "pause_flag": str(flag)})
            iid = inst.id
        assert wait_for(lambda: not flag.exists()), "the first worker never started the job"
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        second = spawn_worker(database_url=database_url, queue=queue, log=tmp_path / "second.log", **env)

        def recovered() -> bool:
            sweep(app)  # what `flowdesk beat` does every second
            return open_tasks(iid) == ["Activity_Check"]

        assert wait_for(recovered, timeout=60, every=1.0), (tmp_path / "second.log").read_text()[-2000:]
    finally:
        jobs.set_dispatcher(None)
        for proc in (first, second):
            if proc is not None:
                stop(proc)
        redis.Redis.from_url(REDIS_URL).delete(queue)
    with transaction() as session:
        receipts = session.scalar(select(func.count()).select_from(StockMove)
                                  .where(StockMove.reference == f"fault-{key}"))
        job = session.scalar(select(Job).where(Job.instance_id == iid))
        instance = session.get(ProcessInstance, iid)
        assert job is not None and instance is not None
        assert receipts == 1  # the killed attempt's receipt was rolled back with its transaction
        assert (job.status, job.attempts) == (JobStatus.DONE, 2)
