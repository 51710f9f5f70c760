"""Lint rules on BPMN documents: each finding pinned to the element it is about, with its severity."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from engine import services
from engine.lint import ERROR, WARNING, Finding, lint
from tests.bpmn_samples import HEADER, simple_process

LEAD_TO_CASH = Path(__file__).resolve().parents[2] / "processes" / "lead_to_cash.bpmn"
GROUPS = {"reviewers", "sales", "sales_management", "warehouse", "finance"}


def run(xml: str, groups: set[str] = GROUPS) -> list[Finding]:
    return lint(etree.fromstring(xml.encode()), groups=groups, operators=set(services.registry()), fname="t.bpmn")


def codes(findings: list[Finding]) -> set[tuple[str | None, str]]:
    return {(f.element_id, f.code) for f in findings}


def process(body: str, key: str = "linted") -> str:
    return HEADER + f'<bpmn:process id="{key}" isExecutable="true">\n{body}</bpmn:process>\n</bpmn:definitions>\n'


def flow(fid: str, src: str, dst: str, condition: str | None = None) -> str:
    cond = (f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>'
            if condition is not None else "")
    return f'<bpmn:sequenceFlow id="{fid}" sourceRef="{src}" targetRef="{dst}">{cond}</bpmn:sequenceFlow>\n'


START = '<bpmn:startEvent id="StartEvent_1"/>\n'
END = '<bpmn:endEvent id="EndEvent_1"/>\n'


def test_lead_to_cash_as_shipped_has_no_findings() -> None:
    assert run(LEAD_TO_CASH.read_text()) == []


def test_the_sample_process_has_no_findings() -> None:
    assert run(simple_process(key="clean")) == []


def test_a_task_without_incoming_flow_is_unreachable() -> None:
    xml = process(START + flow("F1", "StartEvent_1", "EndEvent_1") + END
                  + '<bpmn:userTask id="Activity_Orphan" name="Orphan"/>\n'
                  + flow("F2", "Activity_Orphan", "EndEvent_1"))
    found = [f for f in run(xml) if f.code == "unreachable"]
    assert [(f.element_id, f.severity) for f in found] == [("Activity_Orphan", ERROR)]


def test_a_boundary_event_of_a_reachable_task_is_reachable() -> None:
    xml = process(START + flow("F1", "StartEvent_1", "Activity_Work") + '<bpmn:userTask id="Activity_Work"/>\n'
                  + flow("F2", "Activity_Work", "EndEvent_1") + END
                  + '<bpmn:boundaryEvent id="Event_Late" attachedToRef="Activity_Work">'
                  '<bpmn:timerEventDefinition><bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition>'
                  "</bpmn:boundaryEvent>\n" + flow("F3", "Event_Late", "EndEvent_1"))
    assert run(xml) == []


def test_an_exclusive_gateway_without_default_flow_is_an_error_on_the_gateway() -> None:
    xml = process(START + flow("F1", "StartEvent_1", "Gateway_Big") + '<bpmn:exclusiveGateway id="Gateway_Big"/>\n'
                  + flow("F_Yes", "Gateway_Big", "EndEvent_1", "total &gt; 100")
                  + flow("F_No", "Gateway_Big", "EndEvent_1", "total &lt;= 100") + END)
    found = run(xml)
    assert codes(found) == {("Gateway_Big", "gateway-without-default")}
    assert found[0].severity == ERROR and "default flow" in found[0].message


def test_an_inclusive_gateway_flow_without_condition_is_reported_on_the_flow() -> None:
    xml = process(START + flow("F1", "StartEvent_1", "Gateway_Any")
                  + '<bpmn:inclusiveGateway id="Gateway_Any" default="F_Else"/>\n'
                  + flow("F_A", "Gateway_Any", "EndEvent_1") + flow("F_Else", "Gateway_Any", "EndEvent_1") + END)
    assert codes(run(xml)) == {("F_A", "missing-condition")}


def test_a_parallel_split_needs_no_conditions() -> None:
    xml = process(START + flow("F1", "StartEvent_1", "Gateway_Split") + '<bpmn:parallelGateway id="Gateway_Split"/>\n'
                  + flow("F_A", "Gateway_Split", "EndEvent_1") + flow("F_B", "Gateway_Split", "EndEvent_1") + END)
    assert run(xml) == []


def test_a_task_without_outgoing_flow_is_a_dead_end_warning() -> None:
    xml = process(START + flow("F1", "StartEvent_1", "Activity_Last") + '<bpmn:userTask id="Activity_Last"/>\n')
    found = run(xml)
    assert [(f.element_id, f.code, f.severity) for f in found] == [("Activity_Last", "dead-end", WARNING)]


def test_a_lane_whose_group_does_not_exist_is_an_error_on_the_lane() -> None:
    found = run(simple_process(key="lanes"), groups={"sales"})
    assert [(f.element_id, f.code, f.severity) for f in found] == [("Lane_Reviewers", "unknown-group", ERROR)]
    assert "'reviewers'" in found[0].message


def test_an_unknown_operator_is_an_error_on_the_service_task() -> None:
    xml = process(START + flow("F1", "StartEvent_1", "Activity_Call")
                  + '<bpmn:serviceTask id="Activity_Call"><bpmn:extensionElements>'
                  '<spiffworkflow:serviceTaskOperator id="crm.summon_unicorn" resultVariable="x"/>'
                  "</bpmn:extensionElements></bpmn:serviceTask>\n"
                  + flow("F2", "Activity_Call", "EndEvent_1") + END)
    found = run(xml)
    assert codes(found) == {("Activity_Call", "unknown-operator")}
    assert "crm.summon_unicorn" in found[0].message


def test_a_process_without_start_event_is_reported_once() -> None:
    found = run(process('<bpmn:userTask id="Activity_A"/>\n' + flow("F1", "Activity_A", "EndEvent_1") + END))
    assert codes(found) == {("linted", "no-start-event")}


def test_findings_carry_the_line_of_their_element() -> None:
    xml = process(START + flow("F1", "StartEvent_1", "Activity_Last") + '<bpmn:userTask id="Activity_Last"/>\n')
    assert run(xml)[0].line == xml.splitlines().index('<bpmn:userTask id="Activity_Last"/>') + 1
