"""Messages thrown by one process reach another: a requester asks a supplier process and waits for its answer."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from domain.db import transaction
from engine import audit
from engine.history import EventType
from engine.models import Event, Incident, JobStatus, ProcessDefinition, ProcessInstance
from tests import flow
from tests.bpmn_samples import HEADER


def _message_def(message_id: str, payload: str | None = None, variable: str | None = None) -> str:
    ext = ""
    if payload:
        ext += f"<spiffworkflow:messagePayload>{payload}</spiffworkflow:messagePayload>"
    if variable:
        ext += f"<spiffworkflow:messageVariable>{variable}</spiffworkflow:messageVariable>"
    ext = f"<bpmn:extensionElements>{ext}</bpmn:extensionElements>" if ext else ""
    return f'<bpmn:messageEventDefinition id="{message_id}_Def_{uuid.uuid4().hex[:6]}" messageRef="{message_id}">' \
           f"{ext}</bpmn:messageEventDefinition>"


def _document(key: str, body: str, request: str, answer: str) -> str:
    return (
        HEADER
        + f'<bpmn:collaboration id="Collab_{key}"><bpmn:participant id="P_{key}" processRef="{key}"/>'
        '<bpmn:correlationKey name="order"><bpmn:correlationPropertyRef>order_number</bpmn:correlationPropertyRef>'
        "</bpmn:correlationKey></bpmn:collaboration>\n"
        f'<bpmn:message id="Message_Request" name="{request}"/><bpmn:message id="Message_Answer" name="{answer}"/>\n'
        '<bpmn:correlationProperty id="order_number" name="Order number">'
        '<bpmn:correlationPropertyRetrievalExpression messageRef="Message_Request">'
        "<bpmn:formalExpression>order_number</bpmn:formalExpression></bpmn:correlationPropertyRetrievalExpression>"
        '<bpmn:correlationPropertyRetrievalExpression messageRef="Message_Answer">'
        "<bpmn:formalExpression>order_number</bpmn:formalExpression></bpmn:correlationPropertyRetrievalExpression>"
        "</bpmn:correlationProperty>\n"
        f'<bpmn:process id="{key}" isExecutable="true">\n{body}</bpmn:process></bpmn:definitions>\n'
    )


def requester(key: str, request: str, answer: str) -> str:
    """start -> throw request(order_number, qty) -> catch answer -> user task Ship -> end."""
    body = (
        '<bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>\n'
        '<bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Event_Ask"/>\n'
        '<bpmn:intermediateThrowEvent id="Event_Ask" name="Ask for goods"><bpmn:incoming>Flow_1</bpmn:incoming>'
        "<bpmn:outgoing>Flow_2</bpmn:outgoing>"
        + _message_def("Message_Request", payload="{'order_number': order_number, 'qty': qty}")
        + "</bpmn:intermediateThrowEvent>\n"
        '<bpmn:sequenceFlow id="Flow_2" sourceRef="Event_Ask" targetRef="Event_GoodsIn"/>\n'
        '<bpmn:intermediateCatchEvent id="Event_GoodsIn" name="Goods in"><bpmn:incoming>Flow_2</bpmn:incoming>'
        "<bpmn:outgoing>Flow_3</bpmn:outgoing>" + _message_def("Message_Answer", variable="receipt")
        + "</bpmn:intermediateCatchEvent>\n"
        '<bpmn:sequenceFlow id="Flow_3" sourceRef="Event_GoodsIn" targetRef="Activity_Ship"/>\n'
        '<bpmn:userTask id="Activity_Ship" name="Ship"><bpmn:incoming>Flow_3</bpmn:incoming>'
        "<bpmn:outgoing>Flow_4</bpmn:outgoing></bpmn:userTask>\n"
        '<bpmn:sequenceFlow id="Flow_4" sourceRef="Activity_Ship" targetRef="EndEvent_1"/>\n'
        '<bpmn:endEvent id="EndEvent_1"><bpmn:incoming>Flow_4</bpmn:incoming></bpmn:endEvent>\n'
    )
    return _document(key, body, request, answer)


def supplier(key: str, request: str, answer: str) -> str:
    """message start request -> user task Receive goods -> end event throwing answer(order_number, received)."""
    body = (
        '<bpmn:startEvent id="StartEvent_Request" name="Request">'
        "<bpmn:outgoing>Flow_1</bpmn:outgoing>" + _message_def("Message_Request")
        + "</bpmn:startEvent>\n"
        '<bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_Request" targetRef="Activity_Receive"/>\n'
        '<bpmn:userTask id="Activity_Receive" name="Receive goods"><bpmn:incoming>Flow_1</bpmn:incoming>'
        "<bpmn:outgoing>Flow_2</bpmn:outgoing></bpmn:userTask>\n"
        '<bpmn:sequenceFlow id="Flow_2" sourceRef="Activity_Receive" targetRef="EndEvent_Answer"/>\n'
        '<bpmn:endEvent id="EndEvent_Answer" name="Goods received"><bpmn:incoming>Flow_2</bpmn:incoming>'
        + _message_def("Message_Answer", payload="{'order_number': order_number, 'received': qty}")
        + "</bpmn:endEvent>\n"
    )
    return _document(key, body, request, answer)


@pytest.fixture
def pair(db_engine: Engine) -> tuple[str, str, str]:
    """A deployed requester and supplier with message names of their own; (requester key, supplier key, request)."""
    tag = uuid.uuid4().hex[:8]
    request, answer = f"goods_request_{tag}", f"goods_in_{tag}"
    flow.deploy_xml("supplier.bpmn", supplier(f"supplier_{tag}", request, answer))
    flow.deploy_xml("requester.bpmn", requester(f"requester_{tag}", request, answer))
    return f"requester_{tag}", f"supplier_{tag}", request


def _instances(key: str) -> list[tuple[int, dict[str, Any]]]:
    """(id, variables) of the process's instances, oldest first."""
    with transaction() as session:
        rows = session.execute(select(ProcessInstance.id, ProcessInstance.variables).join(ProcessDefinition)
                               .where(ProcessDefinition.key == key).order_by(ProcessInstance.id))
        return [(row.id, row.variables) for row in rows]


def _events(instance_id: int, type_: EventType) -> list[Event]:
    with transaction() as session:
        return list(session.scalars(select(Event).where(Event.instance_id == instance_id, Event.type == type_)))


def test_a_thrown_message_starts_the_receiving_process_with_its_payload(pair: tuple[str, str, str]) -> None:
    req_key, sup_key, _ = pair
    order = f"SO-{uuid.uuid4().hex[:6]}"
    asker = flow.start(req_key, {"order_number": order, "qty": 3})
    assert flow.jobs_of(asker, "message"), "the throw became a message job"
    assert _instances(sup_key) == [], "nothing leaves before the job runs (it runs after commit)"
    flow.run_due_jobs()
    [(started, variables)] = _instances(sup_key)
    assert flow.open_tasks(started) == ["Activity_Receive"]
    assert variables["order_number"] == order and variables["qty"] == 3
    assert _events(asker, EventType.MESSAGE_SENT)[0].data["correlation"] == {"order_number": order}


def test_the_answer_resumes_the_waiting_requester(pair: tuple[str, str, str]) -> None:
    req_key, sup_key, _ = pair
    order = f"SO-{uuid.uuid4().hex[:6]}"
    asker = flow.start(req_key, {"order_number": order, "qty": 3})
    flow.run_due_jobs()
    [(started, _)] = _instances(sup_key)
    flow.complete(started, "Activity_Receive")
    assert flow.instance_status(started) == "completed"
    assert flow.open_tasks(asker) == [], "the answer is still a job"
    flow.run_due_jobs()
    assert flow.open_tasks(asker) == ["Activity_Ship"]
    with transaction() as session:
        instance = session.get(ProcessInstance, asker)
        assert instance is not None
        assert instance.variables["receipt"] == {"order_number": order, "received": 3}
        assert audit.verify_chain(session=session, chain=f"instance:{asker}") is None


def test_a_message_job_that_runs_twice_delivers_once(pair: tuple[str, str, str]) -> None:
    req_key, sup_key, _ = pair
    asker = flow.start(req_key, {"order_number": f"SO-{uuid.uuid4().hex[:6]}", "qty": 1})
    [job] = flow.jobs_of(asker, "message")
    from engine import jobs

    jobs.run_job(job.id)
    with transaction() as session:  # a lost acknowledgement: the job row is run again
        session.get_one(type(job), job.id).status = JobStatus.PENDING
    jobs.run_job(job.id)
    assert len(_instances(sup_key)) == 1


def test_a_message_nobody_receives_ends_as_an_incident(db_engine: Engine) -> None:
    tag = uuid.uuid4().hex[:8]
    key = f"lonely_{tag}"
    flow.deploy_xml("lonely.bpmn", requester(key, f"nobody_listens_{tag}", f"never_{tag}"))
    asker = flow.start(key, {"order_number": "SO-1", "qty": 1})
    [job] = flow.jobs_of(asker, "message")
    from engine import jobs

    for _ in range(job.max_attempts):
        jobs.run_job(job.id)
        with transaction() as session:
            row = session.get_one(type(job), job.id)
            if row.status != JobStatus.PENDING:
                break
            row.due_at = row.created_at  # skip the back-off wait
    with transaction() as session:
        incident = session.scalar(select(Incident).where(Incident.job_id == job.id))
        assert incident is not None and "no running instance waits" in incident.error
