"""A reminder that repeats until paid, modeled the way processes/lead_to_cash.bpmn does it: an event-based gateway
waits for the payment or a timer; the timer branch opens a chase task in parallel and loops back to wait again;
the payment ends the instance with a terminate end event, which withdraws chase tasks still open.

(A non-interrupting *cycle* boundary timer is not used: SpiffWorkflow cancels the paths it already started when the
activity completes.)"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine

from domain.db import transaction
from engine import messages, runtime
from engine.models import HumanTask, TaskStatus
from tests import flow
from tests.bpmn_samples import HEADER
from tests.conftest import MovableClock


def dunning(key: str, message: str) -> str:
    """start -> wait: payment | timer(next_reminder) -> [split: Chase -> end | set next_reminder -> wait] ;
    payment -> terminate."""
    return (
        HEADER
        + f'<bpmn:message id="M1" name="{message}"/><bpmn:process id="{key}" isExecutable="true">'
        '<bpmn:startEvent id="S"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
        '<bpmn:exclusiveGateway id="Merge"><bpmn:incoming>f1</bpmn:incoming><bpmn:incoming>f7</bpmn:incoming>'
        "<bpmn:outgoing>f2</bpmn:outgoing></bpmn:exclusiveGateway>"
        '<bpmn:eventBasedGateway id="Wait"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>'
        "<bpmn:outgoing>f4</bpmn:outgoing></bpmn:eventBasedGateway>"
        '<bpmn:intermediateCatchEvent id="Paid"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing>'
        '<bpmn:messageEventDefinition id="md" messageRef="M1"/></bpmn:intermediateCatchEvent>'
        '<bpmn:intermediateCatchEvent id="Overdue"><bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>f6</bpmn:outgoing>'
        '<bpmn:timerEventDefinition id="td"><bpmn:timeDate>next_reminder</bpmn:timeDate></bpmn:timerEventDefinition>'
        "</bpmn:intermediateCatchEvent>"
        '<bpmn:parallelGateway id="Split"><bpmn:incoming>f6</bpmn:incoming><bpmn:outgoing>f8</bpmn:outgoing>'
        "<bpmn:outgoing>f9</bpmn:outgoing></bpmn:parallelGateway>"
        '<bpmn:userTask id="Chase" name="Chase payment"><bpmn:incoming>f8</bpmn:incoming>'
        "<bpmn:outgoing>f10</bpmn:outgoing></bpmn:userTask>"
        '<bpmn:endEvent id="ChaseDone"><bpmn:incoming>f10</bpmn:incoming></bpmn:endEvent>'
        '<bpmn:scriptTask id="NextWeek"><bpmn:incoming>f9</bpmn:incoming><bpmn:outgoing>f7</bpmn:outgoing>'
        "<bpmn:script>next_reminder = (datetime.fromisoformat(next_reminder) + timedelta(days=7)).isoformat()"
        "</bpmn:script></bpmn:scriptTask>"
        '<bpmn:endEvent id="Settled"><bpmn:incoming>f5</bpmn:incoming>'
        '<bpmn:terminateEventDefinition id="term"/></bpmn:endEvent>'
        '<bpmn:sequenceFlow id="f1" sourceRef="S" targetRef="Merge"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="Merge" targetRef="Wait"/>'
        '<bpmn:sequenceFlow id="f3" sourceRef="Wait" targetRef="Paid"/>'
        '<bpmn:sequenceFlow id="f4" sourceRef="Wait" targetRef="Overdue"/>'
        '<bpmn:sequenceFlow id="f5" sourceRef="Paid" targetRef="Settled"/>'
        '<bpmn:sequenceFlow id="f6" sourceRef="Overdue" targetRef="Split"/>'
        '<bpmn:sequenceFlow id="f7" sourceRef="NextWeek" targetRef="Merge"/>'
        '<bpmn:sequenceFlow id="f8" sourceRef="Split" targetRef="Chase"/>'
        '<bpmn:sequenceFlow id="f9" sourceRef="Split" targetRef="NextWeek"/>'
        '<bpmn:sequenceFlow id="f10" sourceRef="Chase" targetRef="ChaseDone"/>'
        "</bpmn:process></bpmn:definitions>"
    )


def _chases(instance_id: int, status: TaskStatus) -> int:
    with transaction() as session:
        return len(list(session.scalars(select(HumanTask.id).where(
            HumanTask.instance_id == instance_id, HumanTask.element_id == "Chase", HumanTask.status == status))))


def test_the_reminder_repeats_weekly_until_paid_and_payment_withdraws_open_chases(
        db_engine: Engine, moving_clock: MovableClock) -> None:
    key, message = f"dunning_{uuid.uuid4().hex[:6]}", f"paid_{uuid.uuid4().hex[:6]}"
    flow.deploy_xml(f"{key}.bpmn", dunning(key, message))
    first = (moving_clock.now + timedelta(days=5)).replace(microsecond=0)
    instance = flow.start(key, {"next_reminder": first.isoformat()})
    moving_clock.advance(days=5, seconds=1)
    flow.run_due_jobs()
    assert _chases(instance, TaskStatus.OPEN) == 1
    flow.complete(instance, "Chase")
    moving_clock.advance(days=7)
    flow.run_due_jobs()
    assert (_chases(instance, TaskStatus.COMPLETED), _chases(instance, TaskStatus.OPEN)) == (1, 1)
    with transaction() as session:
        messages.deliver(session=session, name=message, correlation={}, payload={}, message_id=None,
                         actor=runtime.Actor("bank", admin=True))
    assert flow.instance_status(instance) == "completed"
    assert _chases(instance, TaskStatus.OPEN) == 0 and _chases(instance, TaskStatus.CANCELLED) == 1
    moving_clock.advance(days=21)
    flow.run_due_jobs()
    assert _chases(instance, TaskStatus.OPEN) == 0, "no reminder after the payment"
