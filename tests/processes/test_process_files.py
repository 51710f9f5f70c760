"""Checks on the process owners' files in processes/: no engine, no database, no service operators.

- every diagram and decision parses with SpiffWorkflow's spiff parser (the one the engine deploys with);
- every diagram is complete and tidy for bpmn.io: a shape or edge for each element, flow nodes inside their lane,
  no overlapping shapes, orthogonal edges that do not run through other shapes, named gateway branches;
- every referenced form exists and is a valid JSON Schema (draft 2020-12), with titles for the inbox;
- no element uses the ids SpiffWorkflow reserves (Start, End);
- lead to cash: the elements, lanes, operators and forms the engine and the domain rely on, and the approval-threshold
  decision run through SpiffWorkflow's own DMN engine.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.bpmn_task_spec import BpmnTaskSpec
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
FORMS = PROCESSES / "forms"
BPMN_FILES = sorted(PROCESSES.glob("*.bpmn"))
DMN_FILES = sorted((PROCESSES / "decisions").glob("*.dmn"))
FORM_FILES = sorted(FORMS.glob("*.json"))
LEAD_TO_CASH = PROCESSES / "lead_to_cash.bpmn"
APPROVAL_THRESHOLD = PROCESSES / "decisions" / "approval_threshold.dmn"

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
    assert APPROVAL_THRESHOLD in DMN_FILES


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
    assert names["Activity_DetermineApprovalThreshold"].dmnEngine.decision_table.id == (
        "DecisionTable_ApprovalThreshold"
    )
    assert names["StartEvent_LeadReceived"].extensions["properties"] == {
        "formJsonSchemaFilename": "lead_start.schema.json",
        "formUiSchemaFilename": "lead_start.uischema.json",
    }
    operators = {
        name: (ts.operation_name, {k: (v["type"], v["value"]) for k, v in ts.operation_params.items()},
               ts.result_variable)
        for name, ts in names.items()
        if hasattr(ts, "operation_name")
    }  # fmt: skip
    order_id = {"order_id": ("int", 'sales_order["id"]')}
    assert operators == {
        "Activity_LoadCustomer": ("crm.get_customer", {"customer_code": ("str", "customer_code")}, "customer"),
        "Activity_CreateSalesOrder": (
            "sales.create_sales_order",
            {"customer_code": ("str", "customer_code"), "lines": ("list", "lines"),
             "business_key": ("str", "business_key")},
            "sales_order",
        ),
        "Activity_ReserveStock": ("inventory.reserve_stock", order_id, "reservation"),
        "Activity_PostShipment": ("inventory.ship_order", order_id, "shipment"),
        "Activity_CreateInvoice": ("finance.create_invoice", order_id, "invoice"),
        "Activity_PostPayment": (
            "finance.record_payment",
            {"invoice_id": ("int", 'invoice["id"]'), "amount": ("Decimal", "amount"),
             "paid_on": ("str", "paid_on"), "reference": ("str", "reference")},
            "payment",
        ),
    }  # fmt: skip


def test_lead_to_cash_elements_lanes_and_branches() -> None:
    process = _process(LEAD_TO_CASH, "lead_to_cash")
    assert process.get("name") == "Lead to cash" and process.get("isExecutable") == "true"
    lanes = {
        lane.get("id"): (lane.get("name"), {ref.text for ref in lane.findall("bpmn:flowNodeRef", NS)})
        for lane in process.iterfind("bpmn:laneSet/bpmn:lane", NS)
    }
    expected = {
        "Lane_Sales": ("Sales", {
            "StartEvent_LeadReceived:startEvent", "Activity_LoadCustomer:serviceTask", "Activity_QualifyLead:userTask",
            "Gateway_LeadQualified:exclusiveGateway", "EndEvent_LeadDisqualified:endEvent",
            "Activity_PrepareQuote:userTask", "Activity_ComputeQuoteTotal:scriptTask",
            "Activity_DetermineApprovalThreshold:businessRuleTask", "Gateway_ApprovalNeeded:exclusiveGateway",
            "Activity_CreateSalesOrder:serviceTask",
        }),
        "Lane_SalesManagement": ("Sales Management", {
            "Activity_DirectorApproval:userTask", "Gateway_Approved:exclusiveGateway",
        }),
        "Lane_Warehouse": ("Warehouse", {
            "Activity_ReserveStock:serviceTask", "Activity_ShipOrder:userTask", "Activity_PostShipment:serviceTask",
        }),
        "Lane_Finance": ("Finance", {
            "Activity_CreateInvoice:serviceTask", "Activity_RecordPayment:userTask",
            "Activity_PostPayment:serviceTask", "EndEvent_OrderPaid:endEvent",
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
        if f.get("sourceRef").startswith("Gateway_")
    }
    assert branches == {
        ("Gateway_LeadQualified", "No", "EndEvent_LeadDisqualified", "not qualified"),
        ("Gateway_LeadQualified", "Yes", "Activity_PrepareQuote", None),
        ("Gateway_ApprovalNeeded", "Over threshold", "Activity_DirectorApproval", "quote_total > approval_threshold"),
        ("Gateway_ApprovalNeeded", "Within threshold", "Activity_CreateSalesOrder", None),
        ("Gateway_Approved", "Rejected", "Activity_PrepareQuote", 'decision == "reject"'),
        ("Gateway_Approved", "Approved", "Activity_CreateSalesOrder", None),
    }
    for gateway_id, default_name in [
        ("Gateway_LeadQualified", "Yes"),
        ("Gateway_ApprovalNeeded", "Within threshold"),
        ("Gateway_Approved", "Approved"),
    ]:
        default = process.find(f"bpmn:exclusiveGateway[@id='{gateway_id}']", NS).get("default")
        assert flows[default].get("name") == default_name
    assert all(fid.startswith("Flow_") for fid in flows)


def test_lead_to_cash_script_and_conditions_are_python_that_works() -> None:
    """The script and gateway conditions, run with a stand-in money() (the sandbox provides the real one)."""
    parser = _parser()
    parser.add_bpmn_file(str(LEAD_TO_CASH))
    spec = parser.get_spec("lead_to_cash")

    def money(value: Decimal) -> Decimal:
        return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    data: dict[str, Any] = {
        "lines": [
            {"item_sku": "SHELF-1", "quantity": Decimal("2"), "unit_price": Decimal("10.00"),
             "discount_pct": Decimal("10")},
            {"item_sku": "BOLT-8", "quantity": Decimal("3"), "unit_price": Decimal("1.99")},  # no discount given
            {"item_sku": "CRATE", "quantity": 1, "unit_price": Decimal("0.335"), "discount_pct": 0},
        ]
    }  # fmt: skip
    before = set(data)
    exec(spec.task_specs["Activity_ComputeQuoteTotal"].script, {"Decimal": Decimal, "money": money}, data)
    assert data["quote_total"] == Decimal("24.31")  # 18.00 + 5.97 + 0.335 -> 24.305 -> 24.31
    assert set(data) - before == {"quote_total"}, "the script must not leave temporaries in task data"

    conditions = {
        f.get("id"): f.findtext("bpmn:conditionExpression", None, NS)
        for f in _sequence_flows(_process(LEAD_TO_CASH, "lead_to_cash"))
        if f.find("bpmn:conditionExpression", NS) is not None
    }
    assert eval(conditions["Flow_LeadNotQualified"], {"qualified": False}) is True
    assert eval(conditions["Flow_LeadNotQualified"], {"qualified": True}) is False
    over = conditions["Flow_OverThreshold"]
    assert eval(over, {"quote_total": Decimal("100000.01"), "approval_threshold": 100000}) is True
    assert eval(over, {"quote_total": Decimal("100000.00"), "approval_threshold": 100000}) is False
    assert eval(conditions["Flow_QuoteRejected"], {"decision": "reject"}) is True
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
    ids = sorted(nodes)
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            assert not _overlap(nodes[a], nodes[b]), f"{a} and {b} overlap"
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
        ("Activity_QualifyLead", "qualify_lead.schema.json"),
        ("Activity_PrepareQuote", "prepare_quote.schema.json"),
        ("Activity_DirectorApproval", "director_approval.schema.json"),
        ("Activity_ShipOrder", "ship_order.schema.json"),
        ("Activity_RecordPayment", "record_payment.schema.json"),
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
        ("qualify_lead.schema.json", {"qualified": True, "notes": "Budget for Q3"}, True),
        ("qualify_lead.schema.json", {"notes": "?"}, False),
        ("prepare_quote.schema.json", {"lines": [{"item_sku": "A", "quantity": D("2"), "unit_price": D("19.99")}],
                                       "valid_until": "2030-01-31"}, True),
        ("prepare_quote.schema.json", {"lines": []}, False),
        ("prepare_quote.schema.json", {"lines": [{"item_sku": "A", "quantity": 0, "unit_price": D("1")}]}, False),
        ("prepare_quote.schema.json", {"lines": [{"item_sku": "A", "quantity": 1, "unit_price": D("1.999")}]}, False),
        ("prepare_quote.schema.json", {"lines": [{"item_sku": "A", "quantity": 1, "unit_price": 1,
                                                  "discount_pct": 101}]}, False),
        ("prepare_quote.schema.json", {"lines": [{"item_sku": "A", "quantity": 1, "unit_price": 1, "x": 1}]}, False),
        ("prepare_quote.schema.json", {"lines": [{"item_sku": "A", "quantity": 1, "unit_price": 1}],
                                       "valid_until": "31.01.2030"}, False),
        ("director_approval.schema.json", {"decision": "approve"}, True),
        ("director_approval.schema.json", {"decision": "reject", "comment": "Discount too high"}, True),
        ("director_approval.schema.json", {"decision": "reject"}, False),
        ("director_approval.schema.json", {"decision": "reject", "comment": ""}, False),
        ("director_approval.schema.json", {"decision": "maybe"}, False),
        ("ship_order.schema.json", {"carrier": "DHL", "tracking_number": "JD01", "shipped_on": "2030-02-01"}, True),
        ("ship_order.schema.json", {"carrier": "DHL", "tracking_number": "JD01"}, False),
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


# ---------------------------------------------------------------- (e) the approval threshold decision

_DECISION_HARNESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="Definitions_Harness" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="decision_harness" isExecutable="true">
    <bpmn:startEvent id="StartEvent_Harness" />
    <bpmn:businessRuleTask id="Activity_Decide">
      <bpmn:extensionElements>
        <spiffworkflow:calledDecisionId>Decision_ApprovalThreshold</spiffworkflow:calledDecisionId>
      </bpmn:extensionElements>
    </bpmn:businessRuleTask>
    <bpmn:endEvent id="EndEvent_Harness" />
    <bpmn:sequenceFlow id="Flow_ToDecide" sourceRef="StartEvent_Harness" targetRef="Activity_Decide" />
    <bpmn:sequenceFlow id="Flow_ToEnd" sourceRef="Activity_Decide" targetRef="EndEvent_Harness" />
  </bpmn:process>
</bpmn:definitions>
"""


def _decide(data: dict[str, Any]) -> dict[str, Any]:
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_dmn_file(str(APPROVAL_THRESHOLD))
    parser.add_bpmn_str(_DECISION_HARNESS.encode())
    workflow = BpmnWorkflow(parser.get_spec("decision_harness"))
    [start] = workflow.get_tasks(state=TaskState.READY)
    start.data = data
    workflow.do_engine_steps()
    assert workflow.is_completed()
    return workflow.data


@pytest.mark.parametrize(
    ("tier", "threshold"),
    [("strategic", 200000), ("key", 100000), ("regular", 50000), ("new_tier", 50000), (None, 50000)],
)
def test_approval_threshold_by_customer_tier(tier: str | None, threshold: int) -> None:
    result = _decide({"customer": {"code": "C-1001", "tier": tier}, "quote_total": Decimal("120000.00")})
    assert result["approval_threshold"] == threshold
    assert type(result["approval_threshold"]) is int  # the output entry is evaluated as Python
    over = result["quote_total"] > result["approval_threshold"]  # what Gateway_ApprovalNeeded asks
    assert over is (Decimal("120000.00") > threshold)
