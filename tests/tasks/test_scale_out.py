"""Scale-out: 2 web and 2 worker processes on one database and Redis finish 200 instances with racing clients.

No lost update, no double service call, every instance consistent with its (verified) history.
"""

from __future__ import annotations

import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import redis
from sqlalchemy import func, select

from domain.db import transaction
from domain.inventory.models import StockMove
from engine import audit, jobs
from engine.models import Event, InstanceStatus, ProcessInstance
from tests.bpmn_samples import HEADER
from tests.flow import deploy_xml
from tests.tasks.workers import REDIS_URL, ROOT, redis_or_skip, spawn_worker, stop, use_queue, wait_for

pytestmark = pytest.mark.redis
INSTANCES, CLIENT_THREADS, DEADLINE_SECONDS = 200, 8, 240


def _receive(n: int) -> str:
    params = "".join(f'<spiffworkflow:parameter id="{p}" type="str" value="{v}"/>' for p, v in (
        ("sku", "'VALVE-25'"), ("warehouse_code", "'WH-MAIN'"), ("quantity", "'1'"),
        ("reference", f"business_key + '/{n}'")))
    return (f'<bpmn:serviceTask id="Activity_Receive{n}" name="Receive {n}"><bpmn:extensionElements>'
            '<spiffworkflow:serviceTaskOperator id="faults.receive_then_pause" resultVariable="r">'
            f"<spiffworkflow:parameters>{params}</spiffworkflow:parameters></spiffworkflow:serviceTaskOperator>"
            f"</bpmn:extensionElements><bpmn:incoming>F{n}a</bpmn:incoming><bpmn:outgoing>F{n}b</bpmn:outgoing>"
            "</bpmn:serviceTask>\n")


def _process(key: str) -> str:
    """start -> receive 1 (async) -> Check -> receive 2 (async) -> Close -> end, all in lane Ops."""
    nodes = ["StartEvent_1", "Activity_Receive1", "Activity_Check", "Activity_Receive2", "Activity_Close", "End_1"]
    refs = "".join(f"<bpmn:flowNodeRef>{n}</bpmn:flowNodeRef>" for n in nodes)
    return (HEADER + f'<bpmn:process id="{key}" isExecutable="true">\n'
            f'<bpmn:laneSet id="LS"><bpmn:lane id="Lane_Ops" name="Ops">{refs}</bpmn:lane></bpmn:laneSet>\n'
            '<bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>F1a</bpmn:outgoing></bpmn:startEvent>\n'
            '<bpmn:sequenceFlow id="F1a" sourceRef="StartEvent_1" targetRef="Activity_Receive1"/>\n' + _receive(1)
            + '<bpmn:sequenceFlow id="F1b" sourceRef="Activity_Receive1" targetRef="Activity_Check"/>\n'
            '<bpmn:userTask id="Activity_Check" name="Check"><bpmn:incoming>F1b</bpmn:incoming>'
            "<bpmn:outgoing>F2a</bpmn:outgoing></bpmn:userTask>\n"
            '<bpmn:sequenceFlow id="F2a" sourceRef="Activity_Check" targetRef="Activity_Receive2"/>\n' + _receive(2)
            + '<bpmn:sequenceFlow id="F2b" sourceRef="Activity_Receive2" targetRef="Activity_Close"/>\n'
            '<bpmn:userTask id="Activity_Close" name="Close"><bpmn:incoming>F2b</bpmn:incoming>'
            "<bpmn:outgoing>F3</bpmn:outgoing></bpmn:userTask>\n"
            '<bpmn:sequenceFlow id="F3" sourceRef="Activity_Close" targetRef="End_1"/>\n'
            '<bpmn:endEvent id="End_1"><bpmn:incoming>F3</bpmn:incoming></bpmn:endEvent>\n'
            "</bpmn:process>\n</bpmn:definitions>\n")


def _done(ids: list[int]) -> int:
    with transaction() as session:
        return session.scalar(select(func.count()).select_from(ProcessInstance).where(
            ProcessInstance.id.in_(ids), ProcessInstance.status == InstanceStatus.COMPLETED)) or 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    with log.open("ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "flowdesk.cli", "serve", "--port", str(port)], env=env,
                                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(f"{url}/openapi.json", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    assert wait_for(up, timeout=60), log.read_text()[-2000:]
    return proc, url


def _clients(urls: list[str], headers: dict[str, str], key: str, stop_at: float,
             finished: Callable[[], bool]) -> Counter[int]:
    """Threads that keep completing this process's tasks from the group inbox, racing each other."""
    codes: Counter[int] = Counter()
    lock = threading.Lock()

    def ours(http: httpx.Client, base: str) -> list[dict[str, object]]:
        page = http.get(f"{base}/api/v1/tasks?scope=group&limit=500", headers=headers).json()["tasks"]
        return [t for t in page if t["process_key"] == key]

    def work(seed: int) -> None:
        rnd = random.Random(seed)
        with httpx.Client(timeout=30) as http:
            while time.monotonic() < stop_at and not finished():  # tasks keep appearing as the jobs run
                tasks = ours(http, rnd.choice(urls))
                if not tasks:
                    time.sleep(0.2)
                    continue
                for task in rnd.sample(tasks, min(5, len(tasks))):
                    code = http.post(f"{rnd.choice(urls)}/api/v1/tasks/{task['id']}/complete", json={"data": {}},
                                     headers=headers).status_code
                    with lock:
                        codes[code] += 1

    threads = [threading.Thread(target=work, args=(n,)) for n in range(CLIENT_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return codes


def test_two_web_and_two_worker_processes_finish_200_instances_consistently(
        world: None, database_url: str, tmp_path: Path, fault_operators: None) -> None:
    redis_or_skip()
    from tasks.celery_app import sweep

    key, queue = f"scale_{uuid.uuid4().hex[:6]}", f"flowdesk-scale-{uuid.uuid4().hex[:6]}"
    deploy_xml(f"{key}.bpmn", _process(key))
    env = {**__import__("os").environ, "FLOWDESK_BROKER_URL": REDIS_URL, "FLOWDESK_DATABASE_URL": database_url,
           "FLOWDESK_QUEUE": queue, "FLOWDESK_OPERATOR_MODULES": "tests.fault_operators"}
    procs = [spawn_worker(database_url=database_url, queue=queue, log=tmp_path / f"worker{n}.log",
                          FLOWDESK_OPERATOR_MODULES="tests.fault_operators") for n in (1, 2)]
    app = use_queue(queue)
    try:
        webs = [_serve(env, tmp_path / f"web{n}.log") for n in (1, 2)]
        procs += [p for p, _ in webs]
        urls = [u for _, u in webs]
        token = httpx.post(f"{urls[0]}/api/v1/auth/token", json={"username": "admin", "password": "demo"}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        began = time.monotonic()
        ids = [httpx.post(f"{urls[n % 2]}/api/v1/process-instances", headers=headers, timeout=30,
                          json={"process_key": key}).json()["id"] for n in range(INSTANCES)]
        stop_at = began + DEADLINE_SECONDS
        sweeper_done = threading.Event()

        def beat() -> None:
            while not sweeper_done.is_set():
                sweep(app)
                time.sleep(1.0)

        beat_thread = threading.Thread(target=beat)
        beat_thread.start()
        try:
            codes = _clients(urls, headers, key, stop_at, lambda: _done(ids) == INSTANCES)
            assert _done(ids) == INSTANCES, f"unfinished after {DEADLINE_SECONDS} s; codes {codes}"
        finally:
            sweeper_done.set()
            beat_thread.join()
        assert set(codes) <= {200, 409}, codes  # racing completions lose cleanly
    finally:
        jobs.set_dispatcher(None)
        for proc in procs:
            stop(proc)
        redis.Redis.from_url(REDIS_URL).delete(queue)
    with transaction() as session:
        keys = dict(session.execute(select(ProcessInstance.id, ProcessInstance.business_key)
                                    .where(ProcessInstance.id.in_(ids))).all())
        moves = Counter(session.scalars(select(StockMove.reference).where(
            StockMove.reference.in_([f"{k}/{n}" for k in keys.values() for n in (1, 2)]))))
        per_instance = Counter((e.instance_id, e.type, e.element_id) for e in session.scalars(
            select(Event).where(Event.instance_id.in_(ids), Event.type.in_(["task_completed", "service_called"]))))
        broken = [i for i in ids if audit.verify_chain(session=session, chain=f"instance:{i}") is not None]
    assert len(moves) == 2 * INSTANCES and set(moves.values()) == {1}  # each receipt exactly once
    assert len(per_instance) == 4 * INSTANCES and set(per_instance.values()) == {1}  # each step exactly once
    assert broken == []
