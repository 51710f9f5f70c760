"""Messages reach the one instance waiting for them by correlation, or start one; a repeated id counts once."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from domain.db import transaction
from domain.errors import Conflict, InvalidInput, NotFound
from engine import deployment, history, messages, runtime, store
from engine.history import EventType
from engine.models import HumanTask, InstanceStatus, MessageSubscription, ProcessInstance, TaskStatus
from tests import message_samples as samples

SYSTEM = runtime.Actor("bank_gateway")
RUN = uuid.uuid4().hex[:8]  # message names are global: this run's are its own


def _name(base: str) -> str:
    return f"{base}_{RUN}"


@pytest.fixture(scope="module", autouse=True)
def deployed(db_engine: Engine) -> None:
    """The sample processes, committed once for this module."""
    documents = [
        samples.waiting_process(key=_name("msg_wait"), message=_name("payment_received")),
        samples.waiting_process(key=_name("msg_receive"), message=_name("goods_received"), element="receiveTask",
                                variable=None),
        samples.waiting_process(key=_name("msg_plain"), message=_name("ping"), correlated=False),
        samples.boundary_process(key=_name("msg_boundary"), message=_name("order_cancelled")),
        samples.boundary_process(key=_name("msg_note"), message=_name("customer_note"), interrupting=False),
        samples.gateway_process(key=_name("msg_gateway"), paid=_name("gw_paid"), cancelled=_name("gw_cancelled")),
        samples.message_start_process(key=_name("msg_start"), message=_name("order_placed")),
    ]
    with transaction() as session:
        for i, bpmn in enumerate(documents):
            deployment.deploy(session=session, files=samples.bundle(bpmn, name=f"messages_{i}.bpmn"), actor="owner")


def _order() -> str:
    return f"SO-{uuid.uuid4().hex[:8]}"


def _start(session: Session, process: str, order_number: str) -> ProcessInstance:
    return runtime.start_instance(session=session, process_key=_name(process), actor=runtime.Actor("sales"),
                                  variables={"order_number": order_number})


def _send(session: Session, message: str, order_number: str | None = None, payload: dict[str, Any] | None = None,
          message_id: str | None = None) -> messages.DeliveryResult:
    return messages.deliver(session=session, name=_name(message),
                            correlation={"order_number": order_number} if order_number else {},
                            payload=payload or {}, message_id=message_id, actor=SYSTEM)


def _tasks(session: Session, instance_id: int, status: TaskStatus = TaskStatus.OPEN) -> list[str]:
    return list(session.scalars(select(HumanTask.element_id).where(
        HumanTask.instance_id == instance_id, HumanTask.status == status).order_by(HumanTask.id)))


def _subscriptions(session: Session, instance_id: int) -> list[tuple[str, str, str]]:
    rows = session.scalars(select(MessageSubscription).where(MessageSubscription.instance_id == instance_id)
                           .order_by(MessageSubscription.element_id))
    return [(r.element_id, r.message_name, r.correlation_key) for r in rows]


def _data(session: Session, instance: ProcessInstance) -> dict[str, Any]:
    workflow = store.load(session, instance, None)
    return runtime.current_data(workflow)


def _correlated_events(session: Session, instance_id: int) -> list[Any]:
    return [e for e in history.instance_history(session=session, instance_id=instance_id)
            if e.type == EventType.MESSAGE_CORRELATED]


def test_waiting_instance_is_indexed_by_its_correlation_key(session: Session) -> None:
    order = _order()
    instance = _start(session, "msg_wait", order)
    assert _subscriptions(session, instance.id) == [
        ("Event_AwaitPayment", _name("payment_received"), f"order_number={order}")]


def test_message_reaches_the_waiting_instance_which_moves_to_its_next_task(session: Session) -> None:
    order = _order()
    instance = _start(session, "msg_wait", order)
    result = _send(session, "payment_received", order, {"amount": Decimal("250.00")})
    assert (result.instance_id, result.started, result.duplicate, result.element_id) == (
        instance.id, False, False, "Event_AwaitPayment")
    assert _tasks(session, instance.id) == ["Activity_Ship"]
    assert _data(session, instance)["payment"] == {"amount": Decimal("250.00"), "order_number": order}


def test_message_goes_only_to_the_instance_with_its_key(session: Session) -> None:
    mine, other = _start(session, "msg_wait", _order()), _start(session, "msg_wait", _order())
    _send(session, "payment_received", _data(session, mine)["order_number"])
    assert (_tasks(session, mine.id), _tasks(session, other.id)) == (["Activity_Ship"], [])


def test_subscription_disappears_when_the_instance_moves_on(session: Session) -> None:
    order = _order()
    instance = _start(session, "msg_wait", order)
    _send(session, "payment_received", order)
    assert _subscriptions(session, instance.id) == []


def test_message_for_a_key_nobody_waits_for_is_not_found(session: Session) -> None:
    _start(session, "msg_wait", _order())
    with pytest.raises(NotFound) as err:
        _send(session, "payment_received", "SO-NOBODY")
    assert err.value.code == "no_waiting_instance"
    assert _name("payment_received") in err.value.message and "order_number=SO-NOBODY" in err.value.message


def test_not_found_names_the_properties_waiting_instances_correlate_on(session: Session) -> None:
    _start(session, "msg_wait", _order())
    with pytest.raises(NotFound) as err:
        messages.deliver(session=session, name=_name("payment_received"), correlation={"order": "SO-1"}, payload={},
                         message_id=None, actor=SYSTEM)
    assert err.value.message.endswith("correlate on: order_number")


def test_two_instances_waiting_with_the_same_key_is_ambiguous(session: Session) -> None:
    order = _order()
    first, second = _start(session, "msg_wait", order), _start(session, "msg_wait", order)
    with pytest.raises(Conflict) as err:
        _send(session, "payment_received", order)
    assert err.value.code == "ambiguous_correlation"
    assert f"{first.id}, {second.id}" in err.value.message
    assert _tasks(session, first.id) == _tasks(session, second.id) == []


def test_repeated_message_id_is_delivered_once(session: Session) -> None:
    order = _order()
    instance = _start(session, "msg_wait", order)
    first = _send(session, "payment_received", order, message_id=f"bank-{order}")
    again = _send(session, "payment_received", order, message_id=f"bank-{order}")
    assert (again.instance_id, again.element_id, again.started) == (first.instance_id, first.element_id, False)
    assert (first.duplicate, again.duplicate) == (False, True)
    assert len(_correlated_events(session, instance.id)) == 1


def test_message_id_used_for_another_message_is_a_conflict(session: Session) -> None:
    order = _order()
    _start(session, "msg_wait", order)
    _send(session, "payment_received", order, message_id=f"id-{order}")
    with pytest.raises(Conflict) as err:
        _send(session, "order_placed", message_id=f"id-{order}")
    assert err.value.code == "message_id_reused"


def test_message_start_event_starts_a_new_instance_with_the_payload(session: Session) -> None:
    order = _order()
    result = _send(session, "order_placed", payload={"order_number": order, "customer_code": "C-1"})
    assert (result.started, result.duplicate, result.element_id) == (True, False, "StartEvent_OrderPlaced")
    assert result.instance_id is not None
    instance = session.get(ProcessInstance, result.instance_id)
    assert instance is not None and instance.process_key == _name("msg_start")
    assert _tasks(session, instance.id) == ["Activity_Confirm"]
    assert _data(session, instance)["customer_code"] == "C-1"


def test_a_message_started_process_starts_by_its_message_not_by_hand(session: Session) -> None:
    from domain.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        _start(session, "msg_start", _order())
    assert refused.value.code == "not_manually_startable"
    result = _send(session, "order_placed")
    assert result.started and result.instance_id is not None


def test_receive_task_gets_the_message_and_its_payload_merges_into_the_data(session: Session) -> None:
    order = _order()
    instance = _start(session, "msg_receive", order)
    result = _send(session, "goods_received", order, {"received_qty": 3})
    assert result.element_id == "Activity_AwaitPayment"
    assert _tasks(session, instance.id) == ["Activity_Ship"]
    assert _data(session, instance)["received_qty"] == 3


def test_uncorrelated_message_reaches_the_instance_waiting_without_a_key(session: Session) -> None:
    instance = _start(session, "msg_plain", _order())
    assert _subscriptions(session, instance.id)[0][2] == ""
    assert _send(session, "ping").instance_id == instance.id


def test_interrupting_boundary_message_cancels_the_task_it_is_attached_to(session: Session) -> None:
    order = _order()
    instance = _start(session, "msg_boundary", order)
    _send(session, "order_cancelled", order, {"reason": "customer withdrew"})
    assert _tasks(session, instance.id, TaskStatus.CANCELLED) == ["Activity_Review"]
    assert _tasks(session, instance.id) == ["Activity_HandleCancellation"]
    assert _data(session, instance)["cancellation"]["reason"] == "customer withdrew"


def test_non_interrupting_boundary_message_keeps_the_task_open(session: Session) -> None:
    order = _order()
    instance = _start(session, "msg_note", order)
    _send(session, "customer_note", order)
    assert _tasks(session, instance.id) == ["Activity_Review", "Activity_HandleCancellation"]


def test_event_based_gateway_follows_the_branch_of_the_message(session: Session) -> None:
    order = _order()
    instance = _start(session, "msg_gateway", order)
    assert [s[0] for s in _subscriptions(session, instance.id)] == ["Event_Cancelled", "Event_Paid"]
    result = _send(session, "gw_cancelled", order)
    assert result.element_id == "Event_Cancelled"
    assert _tasks(session, instance.id) == ["Activity_HandleCancellation"]
    assert _subscriptions(session, instance.id) == []


def test_suspended_instance_is_not_delivered_to(session: Session) -> None:
    order = _order()
    instance = _start(session, "msg_wait", order)
    instance.status = InstanceStatus.SUSPENDED
    with pytest.raises(Conflict) as err:
        _send(session, "payment_received", order)
    assert err.value.code == "instance_not_running"
    assert _tasks(session, instance.id) == []


def test_payload_contradicting_the_correlation_is_invalid(session: Session) -> None:
    order = _order()
    _start(session, "msg_wait", order)
    with pytest.raises(InvalidInput) as err:
        _send(session, "payment_received", order, {"order_number": "SO-OTHER"})
    assert err.value.code == "invalid_message"


def test_workflow_state_round_trips_after_delivery(session: Session) -> None:
    order = _order()
    instance = _start(session, "msg_gateway", order)
    _send(session, "gw_paid", order, {"amount": Decimal("10.50")})
    assert store.dump(store.load(session, instance, None)) == instance.state


def test_correlation_key_is_canonical() -> None:
    assert messages.correlation_key({"b": 12, "a": "x y"}) == "a=x+y&b=12"
    assert messages.correlation_key({"n": 12}) == messages.correlation_key({"n": Decimal("12.00")})
    assert messages.correlation_key({"n": 12.5}) == messages.correlation_key({"n": Decimal("12.50")})
    assert messages.correlation_key({}) == ""
