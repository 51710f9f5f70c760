"""A process with several start events runs the one its trigger names: by hand, by message or by timer."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.engine import Engine

from domain.db import transaction
from engine import messages, runtime
from engine.models import MessageSubscription, ProcessInstance
from tests import flow
from tests.bpmn_samples import HEADER
from tests.conftest import MovableClock


def three_starts(key: str, message: str, cycle: str = "R1/PT1H") -> str:
    """Start_Hand -> T_Hand, Start_Msg (message) -> T_Msg, Start_Timer (cycle) -> T_Timer; all -> end."""
    starts = (
        '<bpmn:startEvent id="Start_Hand"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
        '<bpmn:startEvent id="Start_Msg"><bpmn:outgoing>f2</bpmn:outgoing>'
        '<bpmn:messageEventDefinition id="md" messageRef="M1"/></bpmn:startEvent>'
        '<bpmn:startEvent id="Start_Timer"><bpmn:outgoing>f3</bpmn:outgoing><bpmn:timerEventDefinition id="td">'
        f'<bpmn:timeCycle>"{cycle}"</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>'
    )
    tasks = "".join(
        f'<bpmn:userTask id="T_{name}"><bpmn:incoming>f{i}</bpmn:incoming><bpmn:outgoing>g{i}</bpmn:outgoing>'
        f'</bpmn:userTask><bpmn:sequenceFlow id="f{i}" sourceRef="Start_{name}" targetRef="T_{name}"/>'
        f'<bpmn:sequenceFlow id="g{i}" sourceRef="T_{name}" targetRef="E"/>'
        for i, name in ((1, "Hand"), (2, "Msg"), (3, "Timer"))
    )
    return (HEADER + f'<bpmn:message id="M1" name="{message}"/><bpmn:process id="{key}" isExecutable="true">'
            + starts + tasks
            + '<bpmn:endEvent id="E"><bpmn:incoming>g1</bpmn:incoming><bpmn:incoming>g2</bpmn:incoming>'
            "<bpmn:incoming>g3</bpmn:incoming></bpmn:endEvent></bpmn:process></bpmn:definitions>")


def _deploy() -> tuple[str, str]:
    key, message = f"three_{uuid.uuid4().hex[:6]}", f"request_{uuid.uuid4().hex[:6]}"
    flow.deploy_xml(f"{key}.bpmn", three_starts(key, message))
    return key, message


def _subscriptions(instance_id: int) -> list[str]:
    with transaction() as session:
        return list(session.scalars(select(MessageSubscription.element_id)
                                    .where(MessageSubscription.instance_id == instance_id)))


def test_started_by_hand_only_the_none_start_runs(db_engine: Engine) -> None:
    key, _ = _deploy()
    instance = flow.start(key)
    assert flow.open_tasks(instance) == ["T_Hand"]
    assert _subscriptions(instance) == [], "the instance does not also wait for the start message"
    flow.complete(instance, "T_Hand")
    assert flow.instance_status(instance) == "completed"


def test_started_by_message_only_the_message_start_runs(db_engine: Engine) -> None:
    key, message = _deploy()
    with transaction() as session:
        result = messages.deliver(session=session, name=message, correlation={}, payload={"qty": 2},
                                  message_id=None, actor=runtime.Actor("erp", admin=True))
    assert result.started and result.element_id == "Start_Msg"
    assert result.instance_id is not None
    assert flow.open_tasks(result.instance_id) == ["T_Msg"]
    flow.complete(result.instance_id, "T_Msg")
    assert flow.instance_status(result.instance_id) == "completed"


def test_started_by_its_timer_only_the_timer_start_runs(db_engine: Engine, moving_clock: MovableClock) -> None:
    key, _ = _deploy()
    moving_clock.advance(hours=1, seconds=1)
    flow.run_due_jobs()
    with transaction() as session:
        [instance] = session.scalars(select(ProcessInstance.id).where(ProcessInstance.process_key == key))
    assert flow.open_tasks(instance) == ["T_Timer"]
