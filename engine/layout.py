"""Automatic layout for BPMN without diagram interchange (BPMNDI), so bpmn-js can draw generated diagrams.

Generated BPMN (from other tools, scripts or an API) often holds only the semantic model; bpmn-js needs shapes
and edges. `with_diagram` adds them and changes nothing else. The layout is a left-to-right layering:
- columns: the longest path from a start, over the flows left after dropping back edges (loops), so every
  forward flow points right;
- rows: one band per lane (in document order); inside a band, nodes of one column stack, each preferring the
  row of the node it came from, so a straight path stays on one line;
- boundary events sit on their activity's lower edge; their flows leave downward;
- flows are orthogonal: right, down/up, right; a back edge runs below its lane's nodes and comes back up.
A diagram that already has BPMNDI is returned unchanged: a human layout is never replaced.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"

COL_WIDTH, ROW_HEIGHT = 170, 130
LEFT, TOP, LANE_HEADER = 90, 60, 30
SIZES = {"event": (36, 36), "gateway": (50, 50), "activity": (100, 80)}
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
GATEWAYS = {"exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway"}
ACTIVITIES = {"task", "userTask", "manualTask", "serviceTask", "scriptTask", "businessRuleTask", "sendTask",
              "receiveTask", "callActivity", "subProcess", "transaction"}


@dataclass
class _Node:
    id: str
    kind: str  # event / gateway / activity
    lane: int = 0
    col: int = 0
    row: int = 0
    attached_to: str | None = None
    x: float = 0
    y: float = 0

    @property
    def size(self) -> tuple[int, int]:
        return SIZES[self.kind]


@dataclass
class _Process:
    id: str
    nodes: dict[str, _Node] = field(default_factory=dict)
    flows: list[tuple[str, str, str]] = field(default_factory=list)  # (flow id, source, target)
    lanes: list[tuple[str, list[str]]] = field(default_factory=list)  # (lane id, node ids)


def has_diagram(root: etree._Element) -> bool:
    """Whether the definitions carry any BPMNDI plane."""
    return root.find(f"{{{BPMNDI}}}BPMNDiagram") is not None


def with_diagram(xml: bytes) -> bytes:
    """The document with an automatic layout added if it has none; unchanged if it has one."""
    root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
    if has_diagram(root):
        return xml
    processes = [_read(p) for p in root.findall(f"{{{BPMN}}}process")]
    collaboration = root.find(f"{{{BPMN}}}collaboration")
    plane_owner = collaboration.get("id") if collaboration is not None else (processes[0].id if processes else "")
    diagram = etree.SubElement(root, f"{{{BPMNDI}}}BPMNDiagram", id="BPMNDiagram_auto",
                               nsmap={"bpmndi": BPMNDI, "dc": DC, "di": DI})
    plane = etree.SubElement(diagram, f"{{{BPMNDI}}}BPMNPlane", id="BPMNPlane_auto", bpmnElement=plane_owner)
    participants = ({p.get("processRef"): p.get("id") for p in collaboration.findall(f"{{{BPMN}}}participant")}
                    if collaboration is not None else {})
    top: float = TOP
    for process in processes:
        top = _draw(plane, process, participants.get(process.id), top) + 60
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _kind(tag: str) -> str | None:
    if tag in EVENTS:
        return "event"
    if tag in GATEWAYS:
        return "gateway"
    return "activity" if tag in ACTIVITIES else None


def _read(element: etree._Element) -> _Process:
    process = _Process(element.get("id", ""))
    for child in element:
        if not isinstance(child.tag, str):
            continue
        tag = etree.QName(child).localname
        kind = _kind(tag)
        if kind is not None:
            node_id = child.get("id", "")
            process.nodes[node_id] = _Node(node_id, kind, attached_to=child.get("attachedToRef"))
        elif tag == "sequenceFlow":
            process.flows.append((child.get("id", ""), child.get("sourceRef", ""), child.get("targetRef", "")))
    for lane in element.iter(f"{{{BPMN}}}lane"):
        if lane.find(f"{{{BPMN}}}childLaneSet") is None:  # leaf lanes are the bands
            refs = [ref.text.strip() for ref in lane.findall(f"{{{BPMN}}}flowNodeRef") if ref.text]
            process.lanes.append((lane.get("id", ""), refs))
    return process


def _host(process: _Process, node_id: str) -> str:
    """A boundary event's flows count as leaving its activity (for columns and rows)."""
    node = process.nodes.get(node_id)
    return node.attached_to or node_id if node is not None else node_id


def _columns(process: _Process) -> set[tuple[str, str]]:
    """Give each node its column; the back edges (source, target) found on the way."""
    out: dict[str, list[str]] = defaultdict(list)
    incoming: dict[str, int] = defaultdict(int)
    for _, source, target in process.flows:
        out[_host(process, source)].append(target)
        incoming[target] += 1
    roots = [n for n in process.nodes.values() if not n.attached_to and incoming[n.id] == 0]
    back: set[tuple[str, str]] = set()
    state: dict[str, int] = {}  # 1 on the stack, 2 done

    def visit(start: str) -> None:  # iterative DFS: big diagrams must not hit the recursion limit
        stack = [(start, iter(out[start]))]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                back.add((node, child))
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(out[child])))

    for root in roots:
        if root.id not in state:
            visit(root.id)
    for node in process.nodes.values():
        if node.id not in state and not node.attached_to:
            visit(node.id)
    order = _topological(process, out, back)
    for node_id in order:
        for target in out[node_id]:
            if (node_id, target) not in back and target in process.nodes:
                process.nodes[target].col = max(process.nodes[target].col, process.nodes[node_id].col + 1)
    return back


def _topological(process: _Process, out: dict[str, list[str]], back: set[tuple[str, str]]) -> list[str]:
    indegree = {n: 0 for n in process.nodes if not process.nodes[n].attached_to}
    for source, targets in out.items():
        for target in targets:
            if (source, target) not in back and target in indegree:
                indegree[target] += 1
    ready = [n for n, d in indegree.items() if d == 0]
    order: list[str] = []
    while ready:
        node = ready.pop(0)
        order.append(node)
        for target in out[node]:
            if (node, target) in back or target not in indegree:
                continue
            indegree[target] -= 1
            if indegree[target] == 0:
                ready.append(target)
    return order


def _rows(process: _Process, back: set[tuple[str, str]]) -> dict[int, int]:
    """Give each node its row inside its lane band; the number of rows per band."""
    lane_of = {node_id: index for index, (_, refs) in enumerate(process.lanes) for node_id in refs}
    for node in process.nodes.values():
        node.lane = lane_of.get(node.attached_to or node.id, 0)
    first_pred: dict[str, str] = {}
    for _, source, target in process.flows:
        source = _host(process, source)
        if (source, target) not in back:
            first_pred.setdefault(target, source)
    taken: dict[tuple[int, int], set[int]] = defaultdict(set)  # (lane, col) -> rows used
    rows: dict[int, int] = defaultdict(lambda: 1)
    for node in sorted((n for n in process.nodes.values() if not n.attached_to), key=lambda n: (n.col, n.id)):
        pred = process.nodes.get(first_pred.get(node.id, ""))
        row = pred.row if pred is not None and pred.lane == node.lane else 0
        while row in taken[(node.lane, node.col)]:
            row += 1
        node.row = row
        taken[(node.lane, node.col)].add(row)
        rows[node.lane] = max(rows[node.lane], row + 1)
    return rows


def _draw(plane: etree._Element, process: _Process, participant: str | None, top: float) -> float:
    """Shapes and edges of one process below `top`; the bottom of what was drawn."""
    back = _columns(process)
    rows = _rows(process, back)
    bands = len(process.lanes) or 1
    band_top: list[float] = []
    y = top
    for band in range(bands):
        band_top.append(y)
        y += rows[band] * ROW_HEIGHT
    bottom = y
    width = (max((n.col for n in process.nodes.values()), default=0) + 1) * COL_WIDTH + 40
    left = LEFT + (LANE_HEADER if participant else 0)
    if participant:
        _shape(plane, participant, LEFT, top, width + LANE_HEADER * 2, bottom - top, horizontal=True)
        for index, (lane_id, _) in enumerate(process.lanes):
            _shape(plane, lane_id, left, band_top[index], width + LANE_HEADER, rows[index] * ROW_HEIGHT,
                   horizontal=True)
    for node in process.nodes.values():
        if node.attached_to:
            continue
        w, h = node.size
        node.x = left + 40 + node.col * COL_WIDTH + (100 - w) / 2
        node.y = band_top[node.lane] + node.row * ROW_HEIGHT + (ROW_HEIGHT - h) / 2
    boundary_count: dict[str, int] = defaultdict(int)
    for node in process.nodes.values():
        host = process.nodes.get(node.attached_to or "")
        if host is None:
            continue
        w, h = node.size
        node.x = host.x + 10 + boundary_count[host.id] * 45
        node.y = host.y + host.size[1] - h / 2
        boundary_count[host.id] += 1
    for node in process.nodes.values():
        _shape(plane, node.id, node.x, node.y, *node.size)
    for flow_id, source, target in process.flows:
        if source in process.nodes and target in process.nodes:
            _edge(plane, flow_id, _route(process.nodes[source], process.nodes[target], (source, target) in back
                                          or (process.nodes[source].attached_to, target) in back))
    return bottom


def _route(source: _Node, target: _Node, backward: bool) -> list[tuple[float, float]]:
    sw, sh = source.size
    tw, th = target.size
    if source.attached_to:  # leave a boundary event downward, then run right
        start = (source.x + sw / 2, source.y + sh)
        end = (target.x, target.y + th / 2)
        return [start, (start[0], end[1]), end] if end[1] > start[1] else [start, (start[0], start[1] + 20),
                                                                           (end[0] - 20, start[1] + 20),
                                                                           (end[0] - 20, end[1]), end]
    if backward:  # below both, then up into the target's lower edge
        start = (source.x + sw / 2, source.y + sh)
        end = (target.x + tw / 2, target.y + th)
        low = max(start[1], end[1]) + 25
        return [start, (start[0], low), (end[0], low), end]
    start = (source.x + sw, source.y + sh / 2)
    end = (target.x, target.y + th / 2)
    if abs(start[1] - end[1]) < 1:
        return [start, end]
    if source.kind == "gateway":  # leave a gateway from its top or bottom corner toward the target's row
        corner = (source.x + sw / 2, source.y + (sh if end[1] > start[1] else 0))
        return [corner, (corner[0], end[1]), end]
    middle = (start[0] + end[0]) / 2
    return [start, (middle, start[1]), (middle, end[1]), end]


def _shape(plane: etree._Element, element: str, x: float, y: float, w: float, h: float,
           horizontal: bool = False) -> None:
    attrs = {"id": f"{element}_di", "bpmnElement": element}
    if horizontal:
        attrs["isHorizontal"] = "true"
    shape = etree.SubElement(plane, f"{{{BPMNDI}}}BPMNShape", attrs)
    etree.SubElement(shape, f"{{{DC}}}Bounds", x=_n(x), y=_n(y), width=_n(w), height=_n(h))


def _edge(plane: etree._Element, element: str, points: list[tuple[float, float]]) -> None:
    edge = etree.SubElement(plane, f"{{{BPMNDI}}}BPMNEdge", id=f"{element}_di", bpmnElement=element)
    for px, py in points:
        etree.SubElement(edge, f"{{{DI}}}waypoint", x=_n(px), y=_n(py))


def _n(value: float) -> str:
    return str(int(round(value)))
