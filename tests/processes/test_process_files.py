"""Checks on the process owners' files in processes/: no engine, no database, no service operators.

- every diagram and decision parses with SpiffWorkflow's spiff parser (the one the engine deploys with);
- every diagram is complete and tidy for bpmn.io: a shape or edge for each element, flow nodes inside their lane,
  no overlapping shapes, orthogonal edges that do not run through other shapes, named gateway branches;
- every referenced form exists and is a valid JSON Schema (draft 2020-12), with titles for the inbox;
- no element uses the ids SpiffWorkflow reserves (Start, End);
- lead to cash: the elements, lanes, operators, messages and forms the engine and the domain rely on (its decisions
  are run in tests/processes/test_decisions.py).
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from lxml import etree
from SpiffWorkflow.bpmn.specs.bpmn_task_spec import BpmnTaskSpec
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
FORMS = PROCESSES / "forms"
BPMN_FILES = sorted(PROCESSES.glob("*.bpmn"))
DMN_FILES = sorted((PROCESSES / "decisions").glob("*.dmn"))
FORM_FILES = sorted(FORMS.glob("*.json"))
LEAD_TO_CASH = PROCESSES / "lead_to_cash.bpmn"
QUOTE_APPROVAL = PROCESSES / "decisions" / "quote_approval.dmn"

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
FLOW_NODE_TAGS = {
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "task", "userTask", "manualTask", "serviceTask", "scriptTask", "businessRuleTask", "sendTask", "receiveTask",
    "callActivity", "subProcess", "transaction", "adHocSubProcess",
    "exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway",
}  # fmt: skip
RESERVED_IDS = {"Start", "End"}  # SpiffWorkflow names its own internal task specs so
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"

Rect = tuple[float, float, float, float]  # x, y, width, height
Point = tuple[float, float]


# ---------------------------------------------------------------- helpers


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


@cache
def _xml(path: Path) -> etree._Element:
    return etree.parse(str(path)).getroot()


def _parser() -> SpiffBpmnParser:
    parser = SpiffBpmnParser(validator=VALIDATOR)
    for dmn in DMN_FILES:  # decisions first: business rule tasks resolve them while the spec is built
        parser.add_dmn_file(str(dmn))
    return parser


def _executable_process_ids(path: Path) -> list[str]:
    return [p.get("id") for p in _xml(path).findall("bpmn:process", NS) if p.get("isExecutable") == "true"]


def _bounds(el: etree._Element) -> Rect:
    b = el.find("dc:Bounds", NS)
    return (float(b.get("x")), float(b.get("y")), float(b.get("width")), float(b.get("height")))


def _shapes(root: etree._Element) -> dict[str, Rect]:
    return {s.get("bpmnElement"): _bounds(s) for s in root.iterfind(".//bpmndi:BPMNShape", NS)}


def _edges(root: etree._Element) -> dict[str, list[Point]]:
    return {
        e.get("bpmnElement"): [(float(w.get("x")), float(w.get("y"))) for w in e.findall("di:waypoint", NS)]
        for e in root.iterfind(".//bpmndi:BPMNEdge", NS)
    }


def _contains(outer: Rect, inner: Rect, tol: float = 0.5) -> bool:
    ox, oy, ow, oh = outer
    ix, iy, iw, ih = inner
    return ix >= ox - tol and iy >= oy - tol and ix + iw <= ox + ow + tol and iy + ih <= oy + oh + tol


def _overlap(a: Rect, b: Rect) -> bool:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


def _on_or_in(p: Point, r: Rect, tol: float = 1.0) -> bool:
    x, y, w, h = r
    return x - tol <= p[0] <= x + w + tol and y - tol <= p[1] <= y + h + tol


def _segment_hits(a: Point, b: Point, r: Rect) -> bool:
    """Does the axis-aligned segment a-b pass through the inside of r (its border excluded)?"""
    x, y, w, h = r
    (x1, y1), (x2, y2) = a, b
    if y1 == y2:
        return y < y1 < y + h and min(x1, x2) < x + w and max(x1, x2) > x
    return x < x1 < x + w and min(y1, y2) < y + h and max(y1, y2) > y


def _diagram_cases() -> list[Any]:
    return [pytest.param(path, pid, id=f"{path.stem}:{pid}") for path in BPMN_FILES for pid in _pids(path)]


def _pids(path: Path) -> list[str]:
    return [p.get("id") for p in _xml(path).findall("bpmn:process", NS)]


def _process(path: Path, pid: str) -> etree._Element:
    return _xml(path).find(f"bpmn:process[@id='{pid}']", NS)


def _flow_nodes(process: etree._Element) -> list[etree._Element]:
    return [el for el in process if isinstance(el.tag, str) and _local(el) in FLOW_NODE_TAGS]


def _sequence_flows(process: etree._Element) -> list[etree._Element]:
    return process.findall("bpmn:sequenceFlow", NS)


def _form_refs(path: Path) -> list[tuple[str, str, str]]:
    """(element id, property name, file name) for every form a diagram references."""
    refs = []
    for prop in _xml(path).iterfind(".//spiffworkflow:property", NS):
        if prop.get("name") in ("formJsonSchemaFilename", "formUiSchemaFilename"):
            owner = prop.getparent().getparent().getparent()  # property < properties < extensionElements < node
            refs.append((owner.get("id"), prop.get("name"), prop.get("value")))
    return refs


def _load_json(path: Path) -> Any:
    # Numbers as Decimal, as the engine holds them; also what makes "multipleOf": 0.01 exact (see test below).
    return json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)


# ---------------------------------------------------------------- (a) parsing


def test_there_is_something_to_check() -> None:
    assert LEAD_TO_CASH in BPMN_FILES
    assert QUOTE_APPROVAL in DMN_FILES


@pytest.mark.parametrize("path", BPMN_FILES, ids=lambda p: p.stem)
def test_diagram_parses_with_the_spiff_parser(path: Path) -> None:
    parser = _parser()
    parser.add_bpmn_file(str(path))
    pids = _executable_process_ids(path)
    assert pids, f"{path.name} has no executable process"
    for pid in pids:
        spec = parser.get_spec(pid)
        assert spec.name == pid


@pytest.mark.parametrize("path", DMN_FILES, ids=lambda p: p.stem)
def test_decision_parses_with_the_spiff_parser(path: Path) -> None:
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_dmn_file(str(path))  # validates against the DMN XSD
    decision_ids = [d.get("id") for d in _xml(path).iterfind("{*}decision")]
    assert len(decision_ids) == 1, "SpiffWorkflow reads one decision (one table) per DMN file"
    engine = parser.get_engine(decision_ids[0], None)
    assert engine.decision_table.rules


def test_lead_to_cash_spec() -> None:
    parser = _parser()
    parser.add_bpmn_file(str(LEAD_TO_CASH))
    spec = parser.get_spec("lead_to_cash")
    assert spec.description == "Lead to cash"
    names = {name: ts for name, ts in spec.task_specs.items() if isinstance(ts, BpmnTaskSpec) and ts.bpmn_id}
    decisions = {name: ts.dmnEngine.decision_table.id for name, ts in names.items() if hasattr(ts, "dmnEngine")}
    assert decisions == {
        "Activity_AssignLead": "DecisionTable_LeadAssignment",
        "Activity_DetermineDiscount": "DecisionTable_QuoteDiscount",
        "Activity_DetermineApproval": "DecisionTable_QuoteApproval",
    }
    assert names["StartEvent_LeadReceived"].extensions["properties"] == {
        "formJsonSchemaFilename": "lead_start.schema.json",
        "formUiSchemaFilename": "lead_start.uischema.json",
    }
    assert names["Activity_FirstContact"].extensions["properties"]["dueIn"] == "PT2H"  # first contact within 2 hours
    assert names["Activity_FirstContact"].extensions["properties"]["assignee"] == "lead_owner"
    assert names["Activity_QualifyLead"].extensions["properties"]["assignee"] == "lead_owner"
    assert names["Activity_ChasePayment"].extensions["properties"]["assignee"] == 'customer["owner"] or ""'
    operators = {name: (ts.operation_name, ts.result_variable) for name, ts in names.items()
                 if hasattr(ts, "operation_name")}  # fmt: skip
    assert operators == {
        "Activity_LoadCustomer": ("crm.get_customer", "customer"),
        "Activity_CaptureLead": ("crm.create_lead", "lead"),
        "Activity_CaptureNewLead": ("crm.create_lead", "lead"),
        "Activity_RecordLeadOwner": ("crm.assign_lead", "lead"),
        "Activity_RecordFirstContact": ("crm.record_first_contact", "lead"),
        "Activity_DisqualifyLead": ("crm.disqualify_lead", "lead"),
        "Activity_CreateOpportunity": ("crm.qualify_lead", "opportunity"),
        "Activity_LoadAccount": ("crm.get_customer", "customer"),
        "Activity_AlertSalesManagement": ("notifications.send_mail", "first_contact_alert"),
        "Activity_CreateQuote": ("sales.create_quote", "quote"),
        "Activity_ApplyDiscount": ("sales.apply_quote_discount", "quote"),
        "Activity_CreditCheck": ("finance.credit_check", "credit"),
        "Activity_NotifyFinance": ("notifications.send_mail", "finance_notice"),
        "Activity_WithdrawQuote": ("sales.mark_quote_expired", "quote"),
        "Activity_SendQuote": ("sales.mark_quote_sent", "quote"),
        "Activity_ExpireQuote": ("sales.mark_quote_expired", "quote"),
        "Activity_LogFollowUp": ("crm.record_follow_up", "follow_up"),
        "Activity_DeclineQuote": ("sales.mark_quote_rejected", "quote"),
        "Activity_MarkOpportunityLost": ("crm.move_opportunity_stage", "opportunity"),
        "Activity_AcceptQuote": ("sales.mark_quote_accepted", "quote"),
        "Activity_MarkOpportunityWon": ("crm.move_opportunity_stage", "opportunity"),
        "Activity_CreateSalesOrder": ("sales.create_order_from_quote", "sales_order"),
        "Activity_ReserveStock": ("inventory.reserve_stock", "reservation"),
        "Activity_PostShipment": ("inventory.ship_order", "shipment"),
        "Activity_NotifyDelivery": ("notifications.send_mail", "delivery_notice"),
        "Activity_CreateInvoice": ("finance.create_invoice", "invoice"),
        "Activity_PostPayment": ("finance.record_payment", "payment"),
        "Activity_PostPaymentMessage": ("finance.record_payment", "payment"),
        "Activity_Reconcile": ("finance.invoice_status", "invoice_state"),
        "Activity_NotifyFinanceManager": ("notifications.send_mail", "overdue_notice"),
    }
    params = {k: (v["type"], v["value"]) for k, v in names["Activity_PostPayment"].operation_params.items()}
    assert params == {"invoice_id": ("int", 'invoice["id"]'), "amount": ("Decimal", "amount"),
                      "paid_on": ("str", "paid_on"), "reference": ("str", "reference")}  # fmt: skip


def test_lead_to_cash_messages_keep_the_procurement_and_bank_contract() -> None:
    root = _xml(LEAD_TO_CASH)
    messages = {m.get("id"): m.get("name") for m in root.iterfind("bpmn:message", NS)}
    assert messages == {"Message_PurchaseRequest": "purchase_request", "Message_GoodsReceived": "goods_received",
                        "Message_PaymentReceived": "payment_received"}  # fmt: skip
    retrieval = {(r.get("messageRef"), prop.get("id"), r.findtext("bpmn:formalExpression", None, NS))
                 for prop in root.iterfind("bpmn:correlationProperty", NS)
                 for r in prop.iterfind("bpmn:correlationPropertyRetrievalExpression", NS)}  # fmt: skip
    assert retrieval == {("Message_PurchaseRequest", "order_number", "order_number"),
                         ("Message_GoodsReceived", "order_number", "order_number"),
                         ("Message_PaymentReceived", "invoice_number", "invoice_number")}  # fmt: skip
    process = _process(LEAD_TO_CASH, "lead_to_cash")
    throw = process.find("bpmn:intermediateThrowEvent[@id='Event_RequestPurchase']/bpmn:messageEventDefinition", NS)
    payload = throw.findtext("bpmn:extensionElements/spiffworkflow:messagePayload", None, NS)
    data = {"order_number": "SO-1", "sales_order_id": 7, "shortfall": [{"item_sku": "P", "quantity": 3}],
            "business_key": "L-1", "sales_order": {"id": 7}}  # fmt: skip
    assert eval(payload, {}, data) == {"order_number": "SO-1", "sales_order_id": 7,
                                       "shortfall": [{"item_sku": "P", "quantity": 3}], "origin_business_key": "L-1"}
    boundary = {b.get("id"): (b.get("attachedToRef"), b.get("cancelActivity"))
                for b in process.iterfind("bpmn:boundaryEvent", NS)}  # fmt: skip
    assert boundary == {"Event_FirstContactOverdue": ("Activity_FirstContact", "false"),
                        "Event_QuoteExpired": ("Activity_CustomerAcceptance", "true"),
                        "Event_PaymentReceived": ("Activity_RecordPayment", "true")}  # fmt: skip


def test_lead_to_cash_elements_lanes_and_branches() -> None:
    process = _process(LEAD_TO_CASH, "lead_to_cash")
    assert process.get("name") == "Lead to cash" and process.get("isExecutable") == "true"
    lanes = {
        lane.get("id"): (lane.get("name"), {ref.text for ref in lane.findall("bpmn:flowNodeRef", NS)})
        for lane in process.iterfind("bpmn:laneSet/bpmn:lane", NS)
    }
    expected = {
        "Lane_Sales": ("Sales", {
            "StartEvent_LeadReceived:startEvent", "Gateway_CustomerKnown:exclusiveGateway",
            "Activity_LoadCustomer:serviceTask", "Activity_CaptureLead:serviceTask",
            "Activity_CaptureNewLead:serviceTask", "Activity_AssignLead:businessRuleTask",
            "Gateway_OwnerFound:exclusiveGateway", "Activity_RecordLeadOwner:serviceTask",
            "Activity_FirstContact:userTask", "Event_FirstContactOverdue:boundaryEvent",
            "Activity_RecordFirstContact:serviceTask", "Activity_QualifyLead:userTask",
            "Gateway_LeadQualified:exclusiveGateway", "Activity_DisqualifyLead:serviceTask",
            "EndEvent_LeadDisqualified:endEvent", "Activity_CreateOpportunity:serviceTask",
            "Activity_LoadAccount:serviceTask", "Activity_PrepareQuote:userTask", "Activity_CreateQuote:serviceTask",
            "Activity_DetermineDiscount:businessRuleTask", "Activity_ApplyDiscount:serviceTask",
            "Activity_CreditCheck:serviceTask", "Activity_DetermineApproval:businessRuleTask",
            "Gateway_ApprovalNeeded:exclusiveGateway", "Activity_WithdrawQuote:serviceTask",
            "Activity_SendQuote:serviceTask", "Activity_CustomerAcceptance:userTask",
            "Event_QuoteExpired:boundaryEvent", "Activity_ExpireQuote:serviceTask",
            "Activity_QuoteFollowUp:userTask", "Activity_LogFollowUp:serviceTask",
            "Gateway_FollowUpOutcome:exclusiveGateway", "Gateway_QuoteAccepted:exclusiveGateway",
            "Activity_DeclineQuote:serviceTask", "Activity_MarkOpportunityLost:serviceTask",
            "EndEvent_OpportunityLost:endEvent", "Activity_AcceptQuote:serviceTask",
            "Activity_MarkOpportunityWon:serviceTask", "Activity_CreateSalesOrder:serviceTask",
            "Activity_ChasePayment:userTask", "EndEvent_Chased:endEvent",
        }),
        "Lane_SalesManagement": ("Sales Management", {
            "Gateway_WeakCredit:exclusiveGateway", "Activity_DirectorApproval:userTask",
            "Gateway_Approved:exclusiveGateway", "Activity_AlertSalesManagement:serviceTask",
            "EndEvent_ManagementAlerted:endEvent",
        }),
        "Lane_Warehouse": ("Warehouse", {
            "Activity_ReserveStock:serviceTask", "Gateway_StockAvailable:exclusiveGateway",
            "Activity_ComputeShortfall:scriptTask", "Event_RequestPurchase:intermediateThrowEvent",
            "Event_GoodsReceived:intermediateCatchEvent", "Activity_ShipOrder:userTask",
            "Activity_PostShipment:serviceTask", "Event_DayBeforeDelivery:intermediateCatchEvent",
            "Activity_NotifyDelivery:serviceTask",
        }),
        "Lane_Finance": ("Finance", {
            "Activity_NotifyFinance:serviceTask", "Activity_CreateInvoice:serviceTask",
            "Activity_PrepareCollection:scriptTask", "Gateway_AwaitPayment:parallelGateway",
            "Gateway_PaymentOpen:exclusiveGateway", "Activity_RecordPayment:userTask",
            "Event_PaymentReceived:boundaryEvent", "Activity_PostPayment:serviceTask",
            "Activity_PostPaymentMessage:serviceTask", "Activity_Reconcile:serviceTask",
            "Gateway_InvoicePaid:exclusiveGateway", "EndEvent_OrderPaid:endEvent",
            "Gateway_ReminderDue:exclusiveGateway", "Event_PaymentOverdue:intermediateCatchEvent",
            "Gateway_Dunning:parallelGateway", "Activity_NotifyFinanceManager:serviceTask",
            "Activity_NextReminder:scriptTask",
        }),
    }  # fmt: skip
    tags = {el.get("id"): _local(el) for el in _flow_nodes(process)}
    assert {lid: (name, {f"{ref}:{tags.get(ref)}" for ref in refs}) for lid, (name, refs) in lanes.items()} == expected
    assert len(tags) == sum(len(refs) for _, refs in expected.values())
    for node_id, tag in tags.items():
        name = process.find(f"bpmn:{tag}[@id='{node_id}']", NS).get("name")
        assert name and name[0].isupper(), f"{node_id} needs a readable name"

    flows = {f.get("id"): f for f in _sequence_flows(process)}
    branches = {
        (f.get("sourceRef"), f.get("name"), f.get("targetRef"), (f.findtext("bpmn:conditionExpression", None, NS)))
        for f in flows.values()
        if f.get("sourceRef").startswith("Gateway_") and len(_outgoing(process, f.get("sourceRef"))) > 1
        and _local(process.find(f"*[@id='{f.get('sourceRef')}']")) == "exclusiveGateway"
    }
    assert branches == {
        ("Gateway_OwnerFound", "Owner", "Activity_RecordLeadOwner", 'lead_owner != ""'),
        ("Gateway_CustomerKnown", "Customer code", "Activity_LoadCustomer", 'customer_code != ""'),
        ("Gateway_CustomerKnown", "New company", "Activity_CaptureNewLead", None),
        ("Gateway_OwnerFound", "Shared queue", "Activity_FirstContact", None),
        ("Gateway_LeadQualified", "No", "Activity_DisqualifyLead", "not qualified"),
        ("Gateway_LeadQualified", "Yes", "Activity_CreateOpportunity", None),
        ("Gateway_ApprovalNeeded", "Approval required", "Gateway_WeakCredit", "approval_required"),
        ("Gateway_ApprovalNeeded", "Within limits", "Activity_SendQuote", None),
        ("Gateway_WeakCredit", "Weak credit", "Activity_NotifyFinance",
         'quote["weak_credit"] and approval_reason in ("amount", "credit_limit")'),
        ("Gateway_WeakCredit", "Otherwise", "Activity_DirectorApproval", None),
        ("Gateway_Approved", "Rejected", "Activity_WithdrawQuote", 'decision == "reject"'),
        ("Gateway_Approved", "Approved", "Activity_SendQuote", None),
        ("Gateway_FollowUpOutcome", "Quote again", "Activity_PrepareQuote", 'follow_up_outcome == "requote"'),
        ("Gateway_FollowUpOutcome", "Close", "Activity_MarkOpportunityLost", None),
        ("Gateway_QuoteAccepted", "Declined", "Activity_DeclineQuote", "not accepted"),
        ("Gateway_QuoteAccepted", "Accepted", "Activity_AcceptQuote", None),
        ("Gateway_StockAvailable", "Short", "Activity_ComputeShortfall", 'not reservation["fully_reserved"]'),
        ("Gateway_StockAvailable", "Reserved", "Activity_ShipOrder", None),
        ("Gateway_InvoicePaid", "Paid", "EndEvent_OrderPaid", 'invoice_state["paid"]'),
        ("Gateway_InvoicePaid", "Partly paid", "Gateway_PaymentOpen", None),
    }  # fmt: skip
    assert process.find("bpmn:endEvent[@id='EndEvent_OrderPaid']/bpmn:terminateEventDefinition", NS) is not None
    assert all(fid.startswith("Flow_") for fid in flows)


def _outgoing(process: etree._Element, node_id: str) -> list[etree._Element]:
    return [f for f in _sequence_flows(process) if f.get("sourceRef") == node_id]


def test_lead_to_cash_scripts_timers_and_conditions_are_python_that_works() -> None:
    """The scripts, timer expressions and gateway conditions, run as plain Python on sample data."""
    parser = _parser()
    parser.add_bpmn_file(str(LEAD_TO_CASH))
    spec = parser.get_spec("lead_to_cash")
    env = {"datetime": datetime, "timedelta": timedelta}
    data: dict[str, Any] = {"invoice": {"number": "INV-1", "due_date": "2026-12-01"}}
    exec(spec.task_specs["Activity_PrepareCollection"].script, env, data)
    assert (data["invoice_number"], data["next_reminder"]) == ("INV-1", "2026-12-06T00:00:00+00:00")
    exec(spec.task_specs["Activity_NextReminder"].script, env, data)
    assert data["next_reminder"] == "2026-12-13T00:00:00+00:00"  # weekly
    shortfall: dict[str, Any] = {"sales_order": {"number": "SO-9"}, "reservation": {"shortages": [{"item_sku": "P"}]}}
    exec(spec.task_specs["Activity_ComputeShortfall"].script, env, shortfall)
    assert (shortfall["order_number"], shortfall["shortfall"]) == ("SO-9", [{"item_sku": "P"}])

    process = _process(LEAD_TO_CASH, "lead_to_cash")
    timers = {e.get("id"): e.findtext(".//bpmn:timeDate", None, NS) for e in process.iter()
              if isinstance(e.tag, str) and e.find("bpmn:timerEventDefinition", NS) is not None}  # fmt: skip
    assert eval(timers["Event_QuoteExpired"], env, {"quote": {"valid_until": date(2026, 11, 16)}}) == (
        "2026-11-17T00:00:00+00:00")  # the day after the last valid day
    assert eval(timers["Event_DayBeforeDelivery"], env, {"expected_delivery": "2026-11-20"}) == (
        "2026-11-19T00:00:00+00:00")
    assert timers["Event_PaymentOverdue"] == "next_reminder"

    conditions = {
        f.get("id"): f.findtext("bpmn:conditionExpression", None, NS)
        for f in _sequence_flows(process)
        if f.find("bpmn:conditionExpression", NS) is not None
    }
    weak = conditions["Flow_WeakCreditLargeOrder"]
    assert eval(weak, {"quote": {"weak_credit": True}, "approval_reason": "amount"}) is True
    assert eval(weak, {"quote": {"weak_credit": True}, "approval_reason": "margin_floor"}) is False
    assert eval(weak, {"quote": {"weak_credit": False}, "approval_reason": "credit_limit"}) is False
    assert eval(conditions["Flow_LeadNotQualified"], {"qualified": False}) is True
    assert eval(conditions["Flow_OwnerFound"], {"lead_owner": ""}) is False
    assert eval(conditions["Flow_StockShort"], {"reservation": {"fully_reserved": False}}) is True
    assert eval(conditions["Flow_QuoteRejected"], {"decision": "approve"}) is False


# ---------------------------------------------------------------- (b) diagram interchange and layout


@pytest.mark.parametrize(("path", "pid"), _diagram_cases())
def test_every_element_is_drawn(path: Path, pid: str) -> None:
    root = _xml(path)
    shapes, edges = _shapes(root), _edges(root)
    process = _process(path, pid)
    for el in process.iter():
        if isinstance(el.tag, str) and _local(el) in FLOW_NODE_TAGS | {"lane"}:
            assert el.get("id") in shapes, f"{_local(el)} {el.get('id')} has no BPMNShape"
    for flow in process.iter(f"{{{NS['bpmn']}}}sequenceFlow"):
        assert len(edges.get(flow.get("id"), [])) >= 2, f"sequence flow {flow.get('id')} has no BPMNEdge"
    for participant in root.iterfind("bpmn:collaboration/bpmn:participant", NS):
        assert participant.get("id") in shapes, f"participant {participant.get('id')} has no BPMNShape"
    plane = root.find("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)
    collaboration = root.find("bpmn:collaboration", NS)
    assert plane.get("bpmnElement") == (collaboration.get("id") if collaboration is not None else pid)


@pytest.mark.parametrize(("path", "pid"), _diagram_cases())
def test_flow_nodes_sit_inside_their_lane(path: Path, pid: str) -> None:
    root = _xml(path)
    shapes = _shapes(root)
    process = _process(path, pid)
    lanes = process.findall("bpmn:laneSet/bpmn:lane", NS)
    if not lanes:
        pytest.skip("no lanes")
    lane_of: dict[str, str] = {}
    for lane in lanes:
        for ref in lane.findall("bpmn:flowNodeRef", NS):
            assert ref.text not in lane_of, f"{ref.text} is listed in two lanes"
            lane_of[ref.text] = lane.get("id")
    lane_rects = {lane.get("id"): shapes[lane.get("id")] for lane in lanes}
    participant = root.find(f"bpmn:collaboration/bpmn:participant[@processRef='{pid}']", NS)
    for lane_id, rect in lane_rects.items():
        if participant is not None:
            assert _contains(shapes[participant.get("id")], rect), f"{lane_id} sticks out of its pool"
        for other_id, other in lane_rects.items():
            assert other_id == lane_id or not _overlap(rect, other), f"lanes {lane_id} and {other_id} overlap"
    for node in _flow_nodes(process):
        node_id = node.get("id")
        assert node_id in lane_of, f"{node_id} is in no lane"
        inside = [lane_id for lane_id, rect in lane_rects.items() if _contains(rect, shapes[node_id])]
        assert inside == [lane_of[node_id]], f"{node_id} is drawn in {inside}, listed in {lane_of[node_id]}"


@pytest.mark.parametrize(("path", "pid"), _diagram_cases())
def test_shapes_do_not_overlap_and_edges_go_around_them(path: Path, pid: str) -> None:
    shapes = _shapes(_xml(path))
    edges = _edges(_xml(path))
    process = _process(path, pid)
    nodes = {n.get("id"): shapes[n.get("id")] for n in _flow_nodes(process)}
    # A boundary event sits on its activity's border: that pair overlaps by design.
    attached = {frozenset((n.get("id"), n.get("attachedToRef")))
                for n in _flow_nodes(process) if n.get("attachedToRef")}  # fmt: skip
    ids = sorted(nodes)
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            assert frozenset((a, b)) in attached or not _overlap(nodes[a], nodes[b]), f"{a} and {b} overlap"
    for flow in _sequence_flows(process):
        fid, source, target = flow.get("id"), flow.get("sourceRef"), flow.get("targetRef")
        points = edges[fid]
        assert _on_or_in(points[0], nodes[source]), f"{fid} does not start at {source}"
        assert _on_or_in(points[-1], nodes[target]), f"{fid} does not end at {target}"
        for a, b in zip(points, points[1:], strict=False):
            assert a[0] == b[0] or a[1] == b[1], f"{fid} has a diagonal segment {a} -> {b}"
            for other, rect in nodes.items():
                if other not in (source, target):
                    assert not _segment_hits(a, b, rect), f"{fid} runs through {other}"


@pytest.mark.parametrize(("path", "pid"), _diagram_cases())
def test_gateway_branches_are_named_and_decidable(path: Path, pid: str) -> None:
    process = _process(path, pid)
    outgoing: dict[str, list[etree._Element]] = {}
    for flow in _sequence_flows(process):
        outgoing.setdefault(flow.get("sourceRef"), []).append(flow)
    for gateway in process:
        if not isinstance(gateway.tag, str) or _local(gateway) not in ("exclusiveGateway", "inclusiveGateway"):
            continue
        flows = outgoing.get(gateway.get("id"), [])
        if len(flows) < 2:
            continue  # a joining gateway
        for flow in flows:
            assert flow.get("name"), f"{flow.get('id')} leaves {gateway.get('id')} without a name"
            if flow.get("id") != gateway.get("default"):
                assert flow.find("bpmn:conditionExpression", NS) is not None, f"{flow.get('id')} has no condition"


# ---------------------------------------------------------------- (c) forms


@pytest.mark.parametrize("path", BPMN_FILES, ids=lambda p: p.stem)
def test_referenced_forms_exist_and_are_valid(path: Path) -> None:
    refs = _form_refs(path)
    assert refs or path != LEAD_TO_CASH
    for element_id, kind, filename in refs:
        form = FORMS / filename
        assert form.is_file(), f"{element_id} references missing form {filename}"
        if kind == "formJsonSchemaFilename":
            assert filename.endswith(".schema.json")
            Draft202012Validator.check_schema(_load_json(form))
        else:
            assert filename.endswith(".uischema.json")
            assert isinstance(_load_json(form), dict)


def _check_titles(schema: dict[str, Any], where: str) -> None:
    for name, prop in schema.get("properties", {}).items():
        assert prop.get("title") and prop.get("description"), f"{where}.{name} needs a title and a description"
        if prop.get("type") == "object":
            _check_titles(prop, f"{where}.{name}")
        if prop.get("type") == "array" and isinstance(prop.get("items"), dict):
            _check_titles(prop["items"], f"{where}.{name}[]")


@pytest.mark.parametrize("path", [p for p in FORM_FILES if p.name.endswith(".schema.json")], ids=lambda p: p.stem)
def test_form_schema(path: Path) -> None:
    schema = _load_json(path)
    assert schema.get("$schema") == DRAFT_2020_12
    Draft202012Validator.check_schema(schema)
    assert schema.get("title") and schema.get("type") == "object"
    _check_titles(schema, path.name)
    ui = path.with_name(path.name.replace(".schema.json", ".uischema.json"))
    if ui.is_file():
        order = _load_json(ui).get("ui:order", [])
        unknown = set(order) - set(schema["properties"]) - {"*"}
        assert not unknown, f"{ui.name} orders unknown fields {unknown}"


def test_lead_to_cash_forms() -> None:
    refs = {(element_id, filename) for element_id, kind, filename in _form_refs(LEAD_TO_CASH)
            if kind == "formJsonSchemaFilename"}  # fmt: skip
    assert refs == {
        ("StartEvent_LeadReceived", "lead_start.schema.json"),
        ("Activity_FirstContact", "ltc_first_contact.schema.json"),
        ("Activity_QualifyLead", "qualify_lead.schema.json"),
        ("Activity_PrepareQuote", "prepare_quote.schema.json"),
        ("Activity_DirectorApproval", "director_approval.schema.json"),
        ("Activity_CustomerAcceptance", "ltc_customer_answer.schema.json"),
        ("Activity_QuoteFollowUp", "ltc_quote_follow_up.schema.json"),
        ("Activity_ShipOrder", "ship_order.schema.json"),
        ("Activity_RecordPayment", "record_payment.schema.json"),
        ("Activity_ChasePayment", "ltc_chase_payment.schema.json"),
    }


def _errors(form: str, data: dict[str, Any]) -> list[str]:
    validator = Draft202012Validator(_load_json(FORMS / form), format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [e.message for e in validator.iter_errors(data)]


D = Decimal


@pytest.mark.parametrize(
    ("form", "data", "valid"),
    [
        ("lead_start.schema.json", {"customer_code": "C-1001", "lead_title": "Shelving", "source": "web"}, True),
        ("lead_start.schema.json", {"customer_code": "C-1001", "lead_title": "Shelving", "source": "fax"}, False),
        ("lead_start.schema.json", {"customer_code": "", "lead_title": "Shelving", "source": "web"}, False),
        ("lead_start.schema.json", {"company_name": "Nova Robotics", "contact_name": "Ms. Xu", "region": "east",
                                    "industry": "machinery", "lead_title": "Shelving", "source": "web"}, True),
        ("lead_start.schema.json", {"company_name": "Nova Robotics", "lead_title": "Shelving", "source": "web"}, False),
        ("ltc_first_contact.schema.json", {"channel": "phone", "contact_note": "wants 20 pumps"}, True),
        ("ltc_first_contact.schema.json", {"channel": "fax"}, False),
        ("qualify_lead.schema.json", {"qualified": True, "notes": "Budget for Q3"}, True),
        ("qualify_lead.schema.json", {"notes": "?"}, False),
        ("prepare_quote.schema.json", {"lines": [{"item_sku": "A", "quantity": D("2")}], "valid_days": 14}, True),
        ("prepare_quote.schema.json", {"lines": []}, False),
        ("prepare_quote.schema.json", {"lines": [{"item_sku": "A", "quantity": 0}]}, False),
        ("prepare_quote.schema.json", {"lines": [{"item_sku": "A", "quantity": 1, "unit_price": 1}]}, False),
        ("prepare_quote.schema.json", {"lines": [{"item_sku": "A", "quantity": 1}], "valid_days": 0}, False),
        ("director_approval.schema.json", {"decision": "approve"}, True),
        ("director_approval.schema.json", {"decision": "reject", "comment": "Discount too high"}, True),
        ("director_approval.schema.json", {"decision": "reject"}, False),
        ("director_approval.schema.json", {"decision": "reject", "comment": ""}, False),
        ("director_approval.schema.json", {"decision": "maybe"}, False),
        ("ship_order.schema.json", {"carrier": "DHL", "tracking_number": "JD01", "shipped_on": "2030-02-01",
                                    "expected_delivery": "2030-02-03", "notify_email": "goods@example.com"}, True),
        ("ship_order.schema.json", {"carrier": "DHL", "tracking_number": "JD01", "shipped_on": "2030-02-01"}, False),
        ("ltc_customer_answer.schema.json", {"accepted": False, "answer_note": "too expensive"}, True),
        ("ltc_customer_answer.schema.json", {"answer_note": "?"}, False),
        ("ltc_quote_follow_up.schema.json", {"follow_up_outcome": "requote", "follow_up_note": "call"}, True),
        ("ltc_quote_follow_up.schema.json", {"follow_up_outcome": "maybe", "follow_up_note": "call"}, False),
        ("ltc_chase_payment.schema.json", {"chase_note": "pays Friday"}, True),
        ("ltc_chase_payment.schema.json", {"chase_note": ""}, False),
        ("record_payment.schema.json", {"amount": D("1234.56"), "paid_on": "2030-03-01", "reference": "INV 7"}, True),
        ("record_payment.schema.json", {"amount": D("0"), "paid_on": "2030-03-01"}, False),
        ("record_payment.schema.json", {"amount": D("10.005"), "paid_on": "2030-03-01"}, False),
    ],
)  # fmt: skip
def test_lead_to_cash_form_accepts_and_rejects(form: str, data: dict[str, Any], valid: bool) -> None:
    """Validated as the server will: numbers as Decimal in data *and* schema, formats checked.

    With floats, jsonschema's "multipleOf": 0.01 rejects 19.99 (float division); with Decimal data against a float
    schema it raises TypeError. So schema and data must both be loaded with parse_float=Decimal.
    """
    assert (not _errors(form, data)) is valid, _errors(form, data)


# ---------------------------------------------------------------- (d) reserved ids


@pytest.mark.parametrize("path", BPMN_FILES + DMN_FILES, ids=lambda p: p.name)
def test_no_reserved_ids(path: Path) -> None:
    used = {el.get("id") for el in _xml(path).iter() if isinstance(el.tag, str)} & RESERVED_IDS
    assert not used, f"{path.name} uses ids reserved by SpiffWorkflow: {sorted(used)}"
