"""Outbound webhooks: a real HTTP receiver on loopback gets signed POSTs for subscribed events, retried as jobs."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from domain.db import transaction
from domain.errors import InvalidInput, NotFound
from engine import history, jobs, runtime, webhooks
from engine.history import EventType
from engine.models import Event, Job, JobStatus
from tests.bpmn_samples import simple_process
from tests.conftest import MovableClock
from tests.flow import deploy_xml, start
from tests.leftovers import no_leftover_jobs  # noqa: F401 - used by pytestmark
from web.app import create_app

pytestmark = pytest.mark.usefixtures("no_leftover_jobs")


REVIEWER = runtime.Actor("rita", {"reviewers"})


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """What the loopback server got, and the statuses it answers with (then 200)."""

    url: str
    answers: list[int] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.deliveries.append(Delivery({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(state.answers.pop(0) if state.answers else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/flowdesk"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def process_key(world: None) -> str:
    """A process of this module only, so subscriptions filtered by it see no other test's events."""
    key = f"hooked_{uuid.uuid4().hex[:8]}"
    deploy_xml(f"{key}.bpmn", simple_process(key=key, form=None))
    return key


@pytest.fixture
def subscribe(process_key: str) -> Iterator[Any]:
    """subscribe(url, types, process_key=<this module's>) -> (id, secret); removed after the test."""
    made: list[int] = []

    def _subscribe(url: str, types: list[str], key: str | None = process_key) -> tuple[int, str]:
        with transaction() as session:
            sub = webhooks.create_subscription(session=session, url=url, event_types=types, process_key=key,
                                               actor="admin")
            made.append(sub.id)
            return sub.id, sub.secret

    yield _subscribe
    with transaction() as session:
        for sub_id in made:
            with contextlib.suppress(NotFound):  # the test deleted it already
                webhooks.delete_subscription(session=session, subscription_id=sub_id)


def _deliveries(sub_id: int) -> list[Job]:
    with transaction() as session:
        return list(session.scalars(select(Job).where(Job.kind == "webhook",
                                                      Job.idempotency_key.startswith(f"webhook:{sub_id}:"))
                                    .order_by(Job.id)))


def _start(process_key: str, amount: int) -> int:
    """amount 10 ends at once (instance_completed); amount 100 waits at the review task (task_ready)."""
    return start(process_key, {"amount": amount}, actor=REVIEWER)


def test_a_subscribed_event_is_posted_with_a_valid_signature(receiver: Receiver, subscribe: Any,
                                                             process_key: str) -> None:
    sub_id, secret = subscribe(receiver.url, ["instance_started"])
    iid = _start(process_key, 10)
    [job] = _deliveries(sub_id)
    assert job.instance_id is None  # a failing receiver must never raise an incident on the process
    assert jobs.run_job(job.id) == "done"
    [delivery] = receiver.deliveries
    expected = "sha256=" + hmac.new(secret.encode(), delivery.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(delivery.headers["x-flowdesk-signature"], expected)
    assert delivery.headers["x-flowdesk-event"] == "instance_started"
    assert delivery.headers["content-type"] == "application/json"
    body = json.loads(delivery.body)
    assert (body["instance_id"], body["process_key"], body["delivery"]) == (
        iid, process_key, delivery.headers["x-flowdesk-delivery"])
    with transaction() as session:
        stored = session.scalar(select(Event).where(Event.chain == f"instance:{iid}", Event.seq == 1))
        assert stored is not None
        assert (body["event"]["id"], body["event"]["type"], body["event"]["hash"]) == (
            stored.id, "instance_started", stored.hash)


def test_events_of_other_types_or_other_processes_are_not_delivered(receiver: Receiver, subscribe: Any,
                                                                    process_key: str) -> None:
    waiting_only, _ = subscribe(receiver.url, ["task_ready"])
    other_process, _ = subscribe(receiver.url, ["instance_started"], key="some_other_process")
    _start(process_key, 10)  # started and completed: no task ever became ready
    assert _deliveries(waiting_only) == [] and _deliveries(other_process) == []
    _start(process_key, 100)
    assert [j.payload["event"]["type"] for j in _deliveries(waiting_only)] == ["task_ready"]
    assert _deliveries(other_process) == []


def test_a_subscription_without_a_process_key_hears_every_process(receiver: Receiver, subscribe: Any,
                                                                  process_key: str) -> None:
    sub_id, _ = subscribe(receiver.url, ["instance_completed"], key=None)
    iid = _start(process_key, 10)
    assert [(j.payload["process_key"], j.payload["event"]["instance_id"]) for j in _deliveries(sub_id)] == [
        (process_key, iid)]


def test_a_failing_receiver_gets_the_same_delivery_after_retries(receiver: Receiver, subscribe: Any,
                                                                 process_key: str,
                                                                 moving_clock: MovableClock) -> None:
    receiver.answers = [500, 500]
    sub_id, secret = subscribe(receiver.url, ["instance_completed"])
    _start(process_key, 10)
    [job] = _deliveries(sub_id)
    assert jobs.run_job(job.id) == "failed"
    assert jobs.run_job(job.id) == "skipped"  # the retry is not due yet
    moving_clock.now = _deliveries(sub_id)[0].due_at
    assert jobs.run_job(job.id) == "failed"
    moving_clock.now = _deliveries(sub_id)[0].due_at
    assert jobs.run_job(job.id) == "done"
    assert len(receiver.deliveries) == 3
    assert len({d.headers["x-flowdesk-delivery"] for d in receiver.deliveries}) == 1
    assert len({d.body for d in receiver.deliveries}) == 1
    [done] = _deliveries(sub_id)
    assert (done.status, done.attempts) == (JobStatus.DONE, 3) and "answered 500" in (done.last_error or "")


def test_an_unreachable_receiver_fails_the_job(subscribe: Any, process_key: str) -> None:
    sub_id, _ = subscribe("http://127.0.0.1:9/nobody-listens", ["instance_started"])
    _start(process_key, 10)
    [job] = _deliveries(sub_id)
    assert jobs.run_job(job.id) == "failed"
    assert "ConnectError" in (_deliveries(sub_id)[0].last_error or "")


def test_a_deleted_subscription_drops_its_queued_deliveries(receiver: Receiver, subscribe: Any,
                                                            process_key: str) -> None:
    sub_id, _ = subscribe(receiver.url, ["instance_started"])
    _start(process_key, 10)
    with transaction() as session:
        webhooks.delete_subscription(session=session, subscription_id=sub_id)
    [job] = _deliveries(sub_id)
    assert jobs.run_job(job.id) == "done"
    assert receiver.deliveries == []


def test_active_subscriptions_are_read_once_per_transaction(session: Session, db_engine: Engine) -> None:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "webhook_subscription" in statement:
            statements.append(statement)

    event.listen(db_engine, "before_cursor_execute", count)
    try:
        for i in range(3):
            history.record(session=session, type_=EventType.TASK_CLAIMED, actor="tester", chain=f"test:{i}")
            history.write_pending_events(session)  # what each flush and the commit do
    finally:
        event.remove(db_engine, "before_cursor_execute", count)
    assert len(statements) == 1


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "javascript:alert(1)", "example.com",
                                 "http:///no-host", "http://exa mple.com/"])
def test_only_http_urls_are_accepted(url: str) -> None:
    with pytest.raises(InvalidInput):
        webhooks.check_url(url)


def test_unknown_event_types_are_rejected() -> None:
    with pytest.raises(InvalidInput) as caught:
        webhooks.check_event_types(["instance_started", "coffee_brewed"])
    assert caught.value.errors == [{"field": "event_types", "message": "unknown event type 'coffee_brewed'"}]


@pytest.fixture(scope="module")
def api(world: None) -> Iterator[TestClient]:
    with TestClient(create_app()) as client:
        yield client


def _token(api: TestClient, username: str) -> dict[str, str]:
    resp = api.post("/api/v1/auth/token", json={"username": username, "password": "demo"})
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def test_admins_create_list_and_delete_webhooks_through_the_api(api: TestClient) -> None:
    admin = _token(api, "admin")
    created = api.post("/api/v1/webhooks", headers=admin, json={
        "url": "https://hooks.example.com/flowdesk", "event_types": ["instance_completed"], "process_key": "x"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert len(body["secret"]) == 64 and body["event_types"] == ["instance_completed"] and body["active"] is True
    listed = api.get("/api/v1/webhooks", headers=admin).json()
    mine = [w for w in listed if w["id"] == body["id"]]
    assert mine and "secret" not in mine[0]
    assert api.delete(f"/api/v1/webhooks/{body['id']}", headers=admin).status_code == 204
    assert api.delete(f"/api/v1/webhooks/{body['id']}", headers=admin).status_code == 404


def test_the_webhook_api_is_for_admins_only(api: TestClient) -> None:
    sales = _token(api, "sales")
    assert api.get("/api/v1/webhooks", headers=sales).status_code == 403
    resp = api.post("/api/v1/webhooks", headers=sales, json={"url": "https://x.example.com", "event_types": ["x"]})
    assert resp.status_code == 403


def test_the_api_rejects_a_non_http_url_and_unknown_types(api: TestClient) -> None:
    admin = _token(api, "admin")
    bad_url = api.post("/api/v1/webhooks", headers=admin, json={"url": "ftp://x.example.com",
                                                                "event_types": ["instance_started"]})
    assert (bad_url.status_code, bad_url.json()["code"]) == (422, "invalid_webhook_url")
    bad_type = api.post("/api/v1/webhooks", headers=admin, json={"url": "https://x.example.com",
                                                                 "event_types": ["nope"]})
    assert (bad_type.status_code, bad_type.json()["code"]) == (422, "invalid_event_types")
