"""Redis stopped and restarted while instances run: nothing is lost, the inbox keeps serving, the backlog drains."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from domain.db import transaction
from engine import jobs, runtime
from engine.models import Job, JobStatus
from tests.bpmn_samples import async_service_process
from tests.flow import deploy_xml, open_tasks
from tests.tasks.workers import spawn_worker, stop, use_queue, wait_for
from web.app import create_app

pytestmark = pytest.mark.redis


class OwnRedis:
    """A redis-server of this test's own on a free port, so stopping it disturbs nothing else."""

    def __init__(self, workdir: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.workdir, self.proc = workdir, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is needed for the broker outage test"
        self.proc = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.workdir)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert wait_for(self._answers, timeout=10), "own redis did not start"

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _start(key: str) -> int:
    with transaction() as session:
        return runtime.start_instance(session=session, process_key=key, actor=runtime.Actor("sales", {"sales"}),
                                      variables={"customer_code": "C-GZ-005"}).id


def test_a_broker_outage_loses_nothing_and_the_backlog_drains(world: None, database_url: str, own_redis: OwnRedis,
                                                              tmp_path: Path) -> None:
    from tasks import celery_app as transport

    key, queue = f"outage_{uuid.uuid4().hex[:6]}", f"flowdesk-outage-{uuid.uuid4().hex[:6]}"
    deploy_xml(f"{key}.bpmn", async_service_process(key=key))
    worker = spawn_worker(database_url=database_url, queue=queue, log=tmp_path / "worker.log",
                          FLOWDESK_BROKER_URL=own_redis.url)
    app = use_queue(queue, own_redis.url)
    client = TestClient(create_app())
    try:
        before = [_start(key) for _ in range(3)]
        assert wait_for(lambda: all(open_tasks(i) == ["Activity_FollowUp"] for i in before))
        own_redis.stop()
        began = time.monotonic()
        during = [_start(key) for _ in range(5)]  # commits; sending the job ids fails and is only logged
        assert time.monotonic() - began < 30
        token = client.post("/api/v1/auth/token", json={"username": "sales", "password": "demo"}).json()
        inbox = client.get("/api/v1/tasks?scope=group", headers={"Authorization": f"Bearer {token['access_token']}"})
        assert inbox.status_code == 200 and inbox.json()["count"] >= 3  # the inbox serves without the broker
        with transaction() as session:
            waiting = session.scalars(select(Job.status).where(Job.instance_id.in_(during))).all()
        assert waiting == [JobStatus.PENDING] * 5
        own_redis.start()

        def drained() -> bool:
            transport.sweep(app)  # what `flowdesk beat` does every second
            return all(open_tasks(i) == ["Activity_FollowUp"] for i in during)

        assert wait_for(drained, timeout=90, every=1.0), (tmp_path / "worker.log").read_text()[-3000:]
    finally:
        jobs.set_dispatcher(None)
        stop(worker)
    with transaction() as session:
        done = session.scalars(select(Job).where(Job.instance_id.in_(before + during))).all()
    assert len(done) == 8 and all(j.status == JobStatus.DONE for j in done)
