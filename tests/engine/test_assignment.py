"""A user task's assignee and candidate group may come from the instance's data (`assignee`, `candidateGroup`)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from domain.db import transaction
from engine import deployment, runtime
from engine.bundle import BundleFile, DefinitionRefused
from engine.history import EventType
from engine.models import Event, HumanTask, ProcessInstance
from tests import flow
from tests.bpmn_samples import HEADER


def _process(key: str, *, assignee: str | None, group: str | None) -> str:
    props = "".join(f'<spiffworkflow:property name="{name}" value="{value}"/>'
                    for name, value in (("assignee", assignee), ("candidateGroup", group)) if value)
    return (
        HEADER
        + f'<bpmn:collaboration id="C_{key}"><bpmn:participant id="P_{key}" processRef="{key}"/></bpmn:collaboration>'
        + f'<bpmn:process id="{key}" isExecutable="true">'
        '<bpmn:laneSet id="LS"><bpmn:lane id="Lane_Sales" name="Sales"><bpmn:flowNodeRef>S</bpmn:flowNodeRef>'
        "<bpmn:flowNodeRef>Activity_FirstContact</bpmn:flowNodeRef><bpmn:flowNodeRef>E</bpmn:flowNodeRef>"
        "</bpmn:lane></bpmn:laneSet>"
        '<bpmn:startEvent id="S"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
        '<bpmn:userTask id="Activity_FirstContact" name="First contact">'
        f"<bpmn:extensionElements><spiffworkflow:properties>{props}</spiffworkflow:properties>"
        "</bpmn:extensionElements><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>"
        '<bpmn:endEvent id="E"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>'
        '<bpmn:sequenceFlow id="f1" sourceRef="S" targetRef="Activity_FirstContact"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="Activity_FirstContact" targetRef="E"/>'
        "</bpmn:process></bpmn:definitions>"
    )


def _task(instance_id: int) -> tuple[str | None, str | None, bool]:
    with transaction() as session:
        row = session.scalar(select(HumanTask).where(HumanTask.instance_id == instance_id))
        assert row is not None
        return row.assignee, row.candidate_group, row.claimed_at is not None


def _deploy(assignee: str | None, group: str | None) -> str:
    key = f"assign_{uuid.uuid4().hex[:6]}"
    flow.deploy_xml(f"{key}.bpmn", _process(key, assignee=assignee, group=group))
    return key


def test_the_assignee_expression_assigns_the_task_to_that_person(db_engine: Engine) -> None:
    key = _deploy("lead_owner", None)
    instance = flow.start(key, {"lead_owner": "sam"})
    assert _task(instance) == ("sam", "sales", True)
    with transaction() as session:
        ready = session.scalar(select(Event).where(Event.instance_id == instance, Event.type == EventType.TASK_READY))
        assert ready is not None and ready.data["assignee"] == "sam"


def test_the_candidate_group_expression_beats_the_lane(db_engine: Engine) -> None:
    key = _deploy(None, "'sales_' + region")
    assert _task(flow.start(key, {"region": "east"})) == (None, "sales_east", False)


def test_an_empty_result_falls_back_to_the_lane_and_to_nobody(db_engine: Engine) -> None:
    key = _deploy("lead_owner", "team")
    assert _task(flow.start(key, {"lead_owner": None, "team": ""})) == (None, "sales", False)


def test_an_assignment_expression_that_does_not_compile_is_refused_at_deploy(db_engine: Engine) -> None:
    key = f"assign_{uuid.uuid4().hex[:6]}"
    with pytest.raises(DefinitionRefused) as info, transaction() as s:
        deployment.deploy(session=s, files=[BundleFile("bad.bpmn", _process(key, assignee="owner +", group=None)
                                                       .encode())], actor="owner")
    assert info.value.problems[0].element_id == "Activity_FirstContact"
    assert "assignee" in info.value.problems[0].message


def test_who_completed_a_task_is_in_the_data_for_later_steps(db_engine: Engine) -> None:
    key = _deploy(None, None)
    instance = flow.start(key)
    flow.complete(instance, "Activity_FirstContact", actor=runtime.Actor("sam", {"sales"}))
    with transaction() as session:
        row = session.get(ProcessInstance, instance)
        assert row is not None and row.variables["completed_by"] == {"Activity_FirstContact": "sam"}
