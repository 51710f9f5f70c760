"""Vendor extensions Flowdesk does not execute are reported by name and element id, and the diagram still deploys."""

from __future__ import annotations

from lxml import etree
from sqlalchemy.orm import Session

from engine.bundle import BundleFile
from engine.deployment import deploy
from engine.vendor import unexecuted_extensions

CAMUNDA_STYLE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
    xmlns:modeler="http://camunda.org/schema/modeler/1.0"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn" exporter="Camunda Modeler"
    modeler:executionPlatform="Camunda Platform">
  <bpmn:process id="{key}" name="Camunda style" isExecutable="true" camunda:historyTimeToLive="180">
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Activity_Approve"/>
    <bpmn:userTask id="Activity_Approve" name="Approve"
        camunda:assignee="demo" camunda:formKey="embedded:app:approve.html">
      <bpmn:extensionElements>
        <zeebe:taskDefinition type="approve" retries="3"/>
        <camunda:inputOutput><camunda:inputParameter name="x">1</camunda:inputParameter></camunda:inputOutput>
        <spiffworkflow:properties>
          <spiffworkflow:property name="dueIn" value="P1D"/>
          <spiffworkflow:property name="color" value="red"/>
        </spiffworkflow:properties>
        <spiffworkflow:instructionsForEndUser>Please approve</spiffworkflow:instructionsForEndUser>
      </bpmn:extensionElements>
      <bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Activity_Approve" targetRef="EndEvent_1"/>
    <bpmn:endEvent id="EndEvent_1"><bpmn:incoming>Flow_2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def camunda_style(key: str = "camunda_style") -> str:
    """A small diagram as Camunda Modeler saves it: camunda:assignee, camunda:formKey, zeebe:taskDefinition."""
    return CAMUNDA_STYLE.replace("{key}", key)


def _names(xml: str) -> list[tuple[str, str | None]]:
    return [(w.name, w.element_id) for w in unexecuted_extensions("c.bpmn", etree.fromstring(xml.encode()))]


def test_camunda_and_zeebe_extensions_are_reported_with_their_element() -> None:
    found = _names(camunda_style())
    assert ("camunda:assignee", "Activity_Approve") in found
    assert ("camunda:formKey", "Activity_Approve") in found
    assert ("zeebe:taskDefinition", "Activity_Approve") in found
    assert ("camunda:historyTimeToLive", "camunda_style") in found


def test_a_foreign_extension_element_is_reported_once_not_its_children() -> None:
    found = [name for name, _ in _names(camunda_style())]
    assert found.count("camunda:inputOutput") == 1 and "camunda:inputParameter" not in found


def test_spiffworkflow_parts_flowdesk_ignores_are_reported_and_those_it_uses_are_not() -> None:
    found = [name for name, _ in _names(camunda_style())]
    assert "spiffworkflow:property[color]" in found
    assert "spiffworkflow:instructionsForEndUser" in found
    assert not any("dueIn" in name for name in found)


def test_modeler_metadata_and_a_plain_spiff_diagram_give_no_warnings() -> None:
    from tests.bpmn_samples import simple_process
    from tests.timer_samples import async_service_with_retries

    assert not any(name.startswith("modeler:") for name, _ in _names(camunda_style()))
    assert _names(simple_process(key="plain")) == []
    assert _names(async_service_with_retries("plain_retry", "crm.get_customer", retries=1)) == []


def test_deploy_returns_the_warnings_and_still_deploys(session: Session) -> None:
    [result] = deploy(session=session, files=[BundleFile("c.bpmn", camunda_style("vendor_unit").encode())],
                      actor="owner")
    assert result.created and result.definition.version == 1
    assert {"camunda:assignee", "zeebe:taskDefinition"} <= {w.name for w in result.warnings}
    assert all(w.file == "c.bpmn" and w.line for w in result.warnings)
