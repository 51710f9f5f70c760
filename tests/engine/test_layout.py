"""Automatic layout: a diagram without BPMNDI gets shapes and edges bpmn-js can draw; a drawn one is left alone."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from engine.bundle import BundleFile
from engine.layout import BPMN, BPMNDI, DC, DI, with_diagram
from engine.spiff import FlowdeskParser
from tests.bpmn_samples import HEADER

LEAD_TO_CASH = Path(__file__).resolve().parents[2] / "processes" / "lead_to_cash.bpmn"
Box = tuple[float, float, float, float]


def _without_diagram(xml: bytes) -> bytes:
    root = etree.fromstring(xml)
    for diagram in root.findall(f"{{{BPMNDI}}}BPMNDiagram"):
        root.remove(diagram)
    return bytes(etree.tostring(root))


def _boxes(xml: bytes) -> dict[str, Box]:
    root = etree.fromstring(xml)
    boxes = {}
    for shape in root.iter(f"{{{BPMNDI}}}BPMNShape"):
        b = shape.find(f"{{{DC}}}Bounds")
        assert b is not None
        boxes[shape.get("bpmnElement", "")] = (float(b.get("x", 0)), float(b.get("y", 0)),
                                               float(b.get("width", 0)), float(b.get("height", 0)))
    return boxes


def _edges(xml: bytes) -> dict[str, list[tuple[float, float]]]:
    root = etree.fromstring(xml)
    return {e.get("bpmnElement", ""): [(float(w.get("x", 0)), float(w.get("y", 0)))
                                       for w in e.findall(f"{{{DI}}}waypoint")]
            for e in root.iter(f"{{{BPMNDI}}}BPMNEdge")}


def _semantic(xml: bytes, tag: str) -> list[etree._Element]:
    return list(etree.fromstring(xml).iter(f"{{{BPMN}}}{tag}"))


def _inside(inner: Box, outer: Box) -> bool:
    return (inner[0] >= outer[0] and inner[1] >= outer[1] and inner[0] + inner[2] <= outer[0] + outer[2]
            and inner[1] + inner[3] <= outer[1] + outer[3])


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def test_every_node_and_flow_of_a_bare_diagram_gets_a_shape_and_an_edge() -> None:
    laid = with_diagram(_without_diagram(LEAD_TO_CASH.read_bytes()))
    boxes, edges = _boxes(laid), _edges(laid)
    nodes = [el.get("id") for el in etree.fromstring(laid).iter() if isinstance(el.tag, str)
             and etree.QName(el).localname.endswith(("Task", "Event", "Gateway", "task"))]
    assert nodes and all(n in boxes for n in nodes)
    flows = [f.get("id") for f in _semantic(laid, "sequenceFlow")]
    assert all(len(edges[f]) >= 2 for f in flows)


def test_nodes_do_not_overlap_and_sit_inside_their_lane() -> None:
    laid = with_diagram(_without_diagram(LEAD_TO_CASH.read_bytes()))
    boxes = _boxes(laid)
    lanes = _semantic(laid, "lane")
    members = {ref.text: lane.get("id") for lane in lanes for ref in lane.findall(f"{{{BPMN}}}flowNodeRef")}
    attached = {b.get("id") for b in _semantic(laid, "boundaryEvent")}
    placed = [n for n in members if n not in attached]
    for i, a in enumerate(placed):
        assert _inside(boxes[a], boxes[members[a]]), f"{a} outside its lane"
        for b in placed[i + 1:]:
            assert not _overlap(boxes[a], boxes[b]), f"{a} overlaps {b}"


def test_forward_flows_run_left_to_right() -> None:
    laid = with_diagram(_without_diagram(LEAD_TO_CASH.read_bytes()))
    boxes = _boxes(laid)
    for flow in _semantic(laid, "sequenceFlow"):
        source, target = boxes[flow.get("sourceRef", "")], boxes[flow.get("targetRef", "")]
        if flow.get("sourceRef") != flow.get("targetRef"):
            assert target[0] > source[0] or target[0] + target[2] > source[0] + source[2] or \
                _is_loop(laid, flow), f"{flow.get('id')} runs backwards"


def _is_loop(xml: bytes, flow: etree._Element) -> bool:
    # A flow into a node drawn further left must close a cycle: the target reaches the source again.
    out: dict[str, list[str]] = {}
    for f in _semantic(xml, "sequenceFlow"):
        out.setdefault(f.get("sourceRef", ""), []).append(f.get("targetRef", ""))
    for b in _semantic(xml, "boundaryEvent"):  # an activity goes on through its boundary events too
        out.setdefault(b.get("attachedToRef", ""), []).append(b.get("id", ""))
    seen, todo = set(), [flow.get("targetRef", "")]
    while todo:
        node = todo.pop()
        if node == flow.get("sourceRef"):
            return True
        if node not in seen:
            seen.add(node)
            todo.extend(out.get(node, []))
    return False


def test_a_loop_and_a_boundary_event_are_laid_out() -> None:
    xml = (HEADER + '<bpmn:process id="loopy" isExecutable="true">'
           '<bpmn:startEvent id="S"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
           '<bpmn:userTask id="Review"><bpmn:incoming>f1</bpmn:incoming><bpmn:incoming>f4</bpmn:incoming>'
           "<bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>"
           '<bpmn:exclusiveGateway id="Ok" default="f3"><bpmn:incoming>f2</bpmn:incoming>'
           "<bpmn:outgoing>f3</bpmn:outgoing><bpmn:outgoing>f4</bpmn:outgoing></bpmn:exclusiveGateway>"
           '<bpmn:endEvent id="E"><bpmn:incoming>f3</bpmn:incoming><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>'
           '<bpmn:boundaryEvent id="Late" attachedToRef="Review"><bpmn:outgoing>f5</bpmn:outgoing>'
           "<bpmn:timerEventDefinition><bpmn:timeDuration>\"PT1H\"</bpmn:timeDuration></bpmn:timerEventDefinition>"
           "</bpmn:boundaryEvent>"
           '<bpmn:sequenceFlow id="f1" sourceRef="S" targetRef="Review"/>'
           '<bpmn:sequenceFlow id="f2" sourceRef="Review" targetRef="Ok"/>'
           '<bpmn:sequenceFlow id="f3" sourceRef="Ok" targetRef="E"/>'
           '<bpmn:sequenceFlow id="f4" sourceRef="Ok" targetRef="Review"><bpmn:conditionExpression>redo'
           "</bpmn:conditionExpression></bpmn:sequenceFlow>"
           '<bpmn:sequenceFlow id="f5" sourceRef="Late" targetRef="E"/>'
           "</bpmn:process></bpmn:definitions>").encode()
    laid = with_diagram(xml)
    boxes, edges = _boxes(laid), _edges(laid)
    review, late = boxes["Review"], boxes["Late"]
    assert late[1] < review[1] + review[3] < late[1] + late[3], "the boundary event sits on the activity's edge"
    assert boxes["E"][0] > boxes["Ok"][0] > review[0]
    loop = edges["f4"]
    assert max(y for _, y in loop) > review[1] + review[3], "the loop runs below the nodes"


def test_the_laid_out_diagram_still_parses_as_the_same_process() -> None:
    laid = with_diagram(_without_diagram(LEAD_TO_CASH.read_bytes()))
    parser = FlowdeskParser()
    parser.add_bpmn_str(laid, filename=BundleFile("lead_to_cash.bpmn", laid).name)
    assert parser.get_process_ids() == ["lead_to_cash"]


def test_a_drawn_diagram_is_returned_unchanged() -> None:
    xml = LEAD_TO_CASH.read_bytes()
    assert with_diagram(xml) is xml
