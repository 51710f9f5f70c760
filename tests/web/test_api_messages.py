"""POST /api/v1/messages/{name}: reaches the waiting instance or starts one; clear errors; a repeated id counts once."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from domain.db import transaction
from engine import deployment
from tests import message_samples as samples

RUN = uuid.uuid4().hex[:8]  # message names are global: this run's are its own
WAIT_KEY, START_KEY = f"api_msg_wait_{RUN}", f"api_msg_start_{RUN}"
PAID, PLACED = f"api_paid_{RUN}", f"api_placed_{RUN}"


@pytest.fixture(scope="module", autouse=True)
def deployed(world: None) -> None:
    with transaction() as session:
        for i, bpmn in enumerate([samples.waiting_process(key=WAIT_KEY, message=PAID),
                                  samples.message_start_process(key=START_KEY, message=PLACED)]):
            deployment.deploy(session=session, files=samples.bundle(bpmn, name=f"api_messages_{i}.bpmn"),
                              actor="owner")


def _order() -> str:
    return f"SO-{uuid.uuid4().hex[:8]}"


def _start(client: TestClient, headers: dict[str, str], order: str) -> int:
    resp = client.post("/api/v1/process-instances", headers=headers,
                       json={"process_key": WAIT_KEY, "variables": {"order_number": order}})
    assert resp.status_code == 201, resp.text
    return int(resp.json()["id"])


def _send(client: TestClient, headers: dict[str, str], name: str, body: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/messages/{name}", json=body, headers=headers)


def test_message_reaches_the_waiting_instance(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    order = _order()
    iid = _start(client, as_user("sales"), order)
    resp = _send(client, as_user("warehouse"), PAID, {"correlation": {"order_number": order},
                                                      "payload": {"amount": 250.5}})
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"instance_id": iid, "started": False, "duplicate": False,
                           "element_id": "Event_AwaitPayment"}
    instance = client.get(f"/api/v1/process-instances/{iid}", headers=as_user("sales")).json()
    assert [t["element_id"] for t in instance["open_tasks"]] == ["Activity_Ship"]
    assert instance["variables"]["payment"]["amount"] == "250.5"


def test_unknown_correlation_is_a_404_naming_message_and_key(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    resp = _send(client, as_user("warehouse"), PAID, {"correlation": {"order_number": "SO-NOBODY"}})
    assert resp.status_code == 404
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["code"] == "no_waiting_instance"
    assert PAID in resp.json()["detail"] and "order_number=SO-NOBODY" in resp.json()["detail"]


def test_ambiguous_correlation_is_a_409_listing_the_instances(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    order, sales = _order(), as_user("sales")
    first, second = _start(client, sales, order), _start(client, sales, order)
    resp = _send(client, as_user("warehouse"), PAID, {"correlation": {"order_number": order}})
    assert (resp.status_code, resp.json()["code"]) == (409, "ambiguous_correlation")
    assert f"{first}, {second}" in resp.json()["detail"]


def test_repeated_message_id_is_accepted_once(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    order, sales, sender = _order(), as_user("sales"), as_user("warehouse")
    iid = _start(client, sales, order)
    body = {"correlation": {"order_number": order}, "message_id": f"bank-{order}"}
    first, again = _send(client, sender, PAID, body), _send(client, sender, PAID, body)
    assert (first.status_code, again.status_code) == (200, 200)
    assert (first.json()["duplicate"], again.json()["duplicate"]) == (False, True)
    assert again.json()["instance_id"] == iid
    events = client.get(f"/api/v1/process-instances/{iid}/history", headers=sales).json()["events"]
    assert [e["type"] for e in events].count("message_correlated") == 1


def test_concurrent_repeats_of_a_message_id_deliver_it_once(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    order, sales, sender = _order(), as_user("sales"), as_user("warehouse")
    iid = _start(client, sales, order)
    body = {"correlation": {"order_number": order}, "message_id": f"retry-{order}"}
    barrier, answers = threading.Barrier(4), []

    def attempt() -> None:
        barrier.wait()
        resp = _send(client, sender, PAID, body)
        answers.append((resp.status_code, resp.json().get("duplicate")))

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [(200, False), (200, True), (200, True), (200, True)]
    events = client.get(f"/api/v1/process-instances/{iid}/history", headers=sales).json()["events"]
    assert [e["type"] for e in events].count("message_correlated") == 1


def test_start_message_starts_an_instance(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    resp = _send(client, as_user("warehouse"), PLACED, {"payload": {"customer_code": "C-SH-003"}})
    assert resp.status_code == 200, resp.text
    assert (resp.json()["started"], resp.json()["element_id"]) == (True, "StartEvent_OrderPlaced")
    instance = client.get(f"/api/v1/process-instances/{resp.json()['instance_id']}", headers=as_user("admin")).json()
    assert (instance["process_key"], instance["variables"]["customer_code"]) == (START_KEY, "C-SH-003")


def test_unknown_fields_are_a_422(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    resp = _send(client, as_user("warehouse"), PAID, {"correlation": {}, "correlation_id": "x"})
    assert (resp.status_code, resp.json()["code"]) == (422, "invalid_request")
    assert [e["field"] for e in resp.json()["errors"]] == ["correlation_id"]


def test_sending_a_message_needs_a_token(client: TestClient, world: None) -> None:
    resp = client.post(f"/api/v1/messages/{PAID}", json={"correlation": {"order_number": "SO-1"}})
    assert (resp.status_code, resp.json()["code"]) == (401, "missing_token")


def test_openapi_documents_the_messages_endpoint(client: TestClient, world: None) -> None:
    spec = client.get("/openapi.json").json()
    operation = spec["paths"]["/api/v1/messages/{name}"]["post"]
    assert {"200", "404", "409", "422"} <= set(operation["responses"])
    assert set(spec["components"]["schemas"]["MessageIn"]["properties"]) == {"correlation", "payload", "message_id"}
