"""Small BPMN documents for engine tests, built from a template so each test states only what it changes."""

from __future__ import annotations

import json

from engine.bundle import BundleFile

HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="Definitions_1" targetNamespace="http://flowdesk.test">\n'
)

FORM = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Approve",
    "type": "object",
    "required": ["approved"],
    "properties": {"approved": {"type": "boolean"}, "amount": {"type": "number", "minimum": 0}},
}


def simple_process(
    *,
    key: str = "simple",
    script: str = "total = amount * 2",
    condition: str = "total > 100",
    task_id: str = "Activity_Review",
    extra_tasks: str = "",
    form: str | None = "review.schema.json",
) -> str:
    """start -> script -> gateway (condition -> review user task in lane Reviewers, default -> end)."""
    form_ext = (
        "<bpmn:extensionElements><spiffworkflow:properties>"
        f'<spiffworkflow:property name="formJsonSchemaFilename" value="{form}"/>'
        "</spiffworkflow:properties></bpmn:extensionElements>"
        if form
        else ""
    )
    return (
        HEADER
        + f'<bpmn:collaboration id="Collab_1"><bpmn:participant id="P_1" processRef="{key}"/></bpmn:collaboration>\n'
        f'<bpmn:process id="{key}" name="Simple {key}" isExecutable="true">\n'
        '<bpmn:laneSet id="LaneSet_1">'
        '<bpmn:lane id="Lane_Reviewers" name="Reviewers">'
        f"<bpmn:flowNodeRef>StartEvent_1</bpmn:flowNodeRef><bpmn:flowNodeRef>Activity_Compute</bpmn:flowNodeRef>"
        f"<bpmn:flowNodeRef>Gateway_Big</bpmn:flowNodeRef><bpmn:flowNodeRef>{task_id}</bpmn:flowNodeRef>"
        "<bpmn:flowNodeRef>EndEvent_1</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>\n"
        '<bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>\n'
        '<bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Activity_Compute"/>\n'
        f'<bpmn:scriptTask id="Activity_Compute" name="Compute"><bpmn:incoming>Flow_1</bpmn:incoming>'
        f"<bpmn:outgoing>Flow_2</bpmn:outgoing><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>\n"
        '<bpmn:sequenceFlow id="Flow_2" sourceRef="Activity_Compute" targetRef="Gateway_Big"/>\n'
        '<bpmn:exclusiveGateway id="Gateway_Big" default="Flow_Small"><bpmn:incoming>Flow_2</bpmn:incoming>'
        "<bpmn:outgoing>Flow_Big</bpmn:outgoing><bpmn:outgoing>Flow_Small</bpmn:outgoing></bpmn:exclusiveGateway>\n"
        f'<bpmn:sequenceFlow id="Flow_Big" sourceRef="Gateway_Big" targetRef="{task_id}">'
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>'
        "</bpmn:sequenceFlow>\n"
        '<bpmn:sequenceFlow id="Flow_Small" sourceRef="Gateway_Big" targetRef="EndEvent_1"/>\n'
        f'<bpmn:userTask id="{task_id}" name="Review">{form_ext}<bpmn:incoming>Flow_Big</bpmn:incoming>'
        "<bpmn:outgoing>Flow_3</bpmn:outgoing></bpmn:userTask>\n"
        f'<bpmn:sequenceFlow id="Flow_3" sourceRef="{task_id}" targetRef="EndEvent_1"/>\n'
        f"{extra_tasks}"
        '<bpmn:endEvent id="EndEvent_1"><bpmn:incoming>Flow_Small</bpmn:incoming>'
        "<bpmn:incoming>Flow_3</bpmn:incoming></bpmn:endEvent>\n"
        "</bpmn:process>\n</bpmn:definitions>\n"
    )


def bundle(bpmn: str, *, name: str = "simple.bpmn", form: dict | None = None) -> list[BundleFile]:
    """The BPMN plus the review form."""
    return [
        BundleFile(name, bpmn.encode()),
        BundleFile("review.schema.json", json.dumps(form or FORM).encode()),
    ]


def async_service_process(*, key: str) -> str:
    """start -> async service task crm.get_customer -> user task "Follow up" (lane Sales) -> end."""
    return (
        HEADER
        + f'<bpmn:process id="{key}" name="Async {key}" isExecutable="true">\n'
        '<bpmn:laneSet id="LaneSet_1"><bpmn:lane id="Lane_Sales" name="Sales">'
        "<bpmn:flowNodeRef>StartEvent_1</bpmn:flowNodeRef><bpmn:flowNodeRef>Activity_Load</bpmn:flowNodeRef>"
        "<bpmn:flowNodeRef>Activity_FollowUp</bpmn:flowNodeRef><bpmn:flowNodeRef>EndEvent_1</bpmn:flowNodeRef>"
        "</bpmn:lane></bpmn:laneSet>\n"
        '<bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>\n'
        '<bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Activity_Load"/>\n'
        '<bpmn:serviceTask id="Activity_Load" name="Load customer"><bpmn:extensionElements>'
        '<spiffworkflow:properties><spiffworkflow:property name="async" value="true"/></spiffworkflow:properties>'
        '<spiffworkflow:serviceTaskOperator id="crm.get_customer" resultVariable="customer">'
        '<spiffworkflow:parameters><spiffworkflow:parameter id="customer_code" type="str" value="customer_code"/>'
        "</spiffworkflow:parameters></spiffworkflow:serviceTaskOperator></bpmn:extensionElements>"
        "<bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing></bpmn:serviceTask>\n"
        '<bpmn:sequenceFlow id="Flow_2" sourceRef="Activity_Load" targetRef="Activity_FollowUp"/>\n'
        '<bpmn:userTask id="Activity_FollowUp" name="Follow up"><bpmn:incoming>Flow_2</bpmn:incoming>'
        "<bpmn:outgoing>Flow_3</bpmn:outgoing></bpmn:userTask>\n"
        '<bpmn:sequenceFlow id="Flow_3" sourceRef="Activity_FollowUp" targetRef="EndEvent_1"/>\n'
        '<bpmn:endEvent id="EndEvent_1"><bpmn:incoming>Flow_3</bpmn:incoming></bpmn:endEvent>\n'
        "</bpmn:process>\n</bpmn:definitions>\n"
    )
