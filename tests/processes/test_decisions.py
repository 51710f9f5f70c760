"""The decision tables in processes/decisions, evaluated by the engine's DMN support in its sandbox.

Each case is a rule of the business policy read aloud (the README and the tables' descriptions say the same)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow

from engine.script_engine import FlowdeskScriptEngine
from engine.spiff import FlowdeskParser
from tests.bpmn_samples import HEADER

DECISIONS = Path(__file__).resolve().parents[2] / "processes" / "decisions"


def decide(dmn_file: str, decision_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """Run a one-task process whose business rule task calls the decision; the data afterwards."""
    bpmn = (HEADER + '<bpmn:process id="decide" isExecutable="true">'
            '<bpmn:startEvent id="S"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
            f'<bpmn:businessRuleTask id="Rule"><bpmn:extensionElements><spiffworkflow:calledDecisionId>{decision_id}'
            "</spiffworkflow:calledDecisionId></bpmn:extensionElements><bpmn:incoming>f1</bpmn:incoming>"
            "<bpmn:outgoing>f2</bpmn:outgoing></bpmn:businessRuleTask>"
            '<bpmn:endEvent id="E"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>'
            '<bpmn:sequenceFlow id="f1" sourceRef="S" targetRef="Rule"/>'
            '<bpmn:sequenceFlow id="f2" sourceRef="Rule" targetRef="E"/></bpmn:process></bpmn:definitions>')
    parser = FlowdeskParser()
    parser.add_bpmn_str(bpmn.encode(), filename="decide.bpmn")
    parser.add_dmn_xml(etree.parse(str(DECISIONS / dmn_file)).getroot(), dmn_file)
    workflow = BpmnWorkflow(parser.get_spec("decide"), script_engine=FlowdeskScriptEngine(None))
    for task in workflow.get_tasks():
        task.data.update(data)
    workflow.do_engine_steps()
    assert workflow.completed
    return dict(workflow.last_task.data) if workflow.last_task else {}


@pytest.mark.parametrize(("tier", "amount", "pct"), [
    ("strategic", 600000, 12), ("strategic", 500000, 12), ("strategic", Decimal("499999.99"), 8),
    ("strategic", 1000, 5),
    ("key", 200000, 6), ("key", 199999, 3), ("regular", 250000, 3), ("regular", 1000, 0), ("unknown", 10**7, 0),
])
def test_quote_discount_by_tier_and_amount(tier: str, amount: float | Decimal, pct: int) -> None:
    quote = {"customer_tier": tier, "list_total": amount}  # what sales.create_quote returns, in part
    assert decide("quote_discount.dmn", "Decision_QuoteDiscount", {"quote": quote})["discount_pct"] == pct


@pytest.mark.parametrize(("case", "required", "reason"), [
    ({"would_exceed_credit": True, "margin_pct": 40, "customer_tier": "strategic", "quote_amount": 10}, True,
     "credit_limit"),
    ({"would_exceed_credit": False, "margin_pct": 14.99, "customer_tier": "key", "quote_amount": 10}, True,
     "margin_floor"),
    ({"would_exceed_credit": False, "margin_pct": 15, "customer_tier": "key", "quote_amount": 100001}, True, "amount"),
    ({"would_exceed_credit": False, "margin_pct": 15, "customer_tier": "key", "quote_amount": 100000}, False, ""),
    ({"would_exceed_credit": False, "margin_pct": 30, "customer_tier": "strategic", "quote_amount": 200000}, False,
     ""),
    ({"would_exceed_credit": False, "margin_pct": 30, "customer_tier": "regular", "quote_amount": 50000.01}, True,
     "amount"),
])
def test_quote_approval_names_its_reason(case: dict[str, Any], required: bool, reason: str) -> None:
    data = {"credit": {"would_exceed": case["would_exceed_credit"]},  # finance.credit_check's result, in part
            "quote": {"margin_pct": case["margin_pct"], "customer_tier": case["customer_tier"],
                      "amount": case["quote_amount"]}}  # sales.apply_quote_discount's result, in part
    result = decide("quote_approval.dmn", "Decision_QuoteApproval", data)
    assert (result["approval_required"], result["approval_reason"]) == (required, reason)


@pytest.mark.parametrize(("region", "industry", "owner"), [
    ("east", "machinery", "li_na"), ("east", "retail", "li_na"), ("south", "chemicals", "wang_wei"),
    ("north", "", "chen_jie"), ("west", "machinery", ""),
])
def test_lead_assignment_by_region(region: str, industry: str, owner: str) -> None:
    lead = {"region": region, "industry": industry}  # what crm.create_lead returns, in part
    result = decide("lead_assignment.dmn", "Decision_LeadAssignment", {"lead": lead})
    assert (result["lead_owner"], result["sales_team"]) == (owner, "sales")


@pytest.mark.parametrize(("amount", "steps"),
                         [(0, 0), (9999.99, 0), (10000, 1), (100000, 1), (Decimal("100000.01"), 2)])
def test_purchase_approval_steps_by_amount(amount: float | Decimal, steps: int) -> None:
    assert decide("purchase_approval.dmn", "Decision_PurchaseApproval", {"request_amount": amount})[
        "approval_steps"] == steps
