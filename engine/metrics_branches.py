"""Branch analysis: at each diverging gateway, the share of passages that took each outgoing sequence flow.

The flow taken is derived from the history. In a finished instance (read from the roll-up) it is the target whose
completion directly follows the gateway's; in a running one, the first event of a target after the gateway (a task
becoming ready, an async job scheduled, or the target's completion), since the target may still be waiting.
Exclusive and event-based gateways take that one flow; an inclusive
gateway counts every target reached before the gateway is passed again; a parallel gateway takes all its flows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from lxml import etree
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from engine.history import EventType
from engine.metrics_elements import live_instances
from engine.metrics_rollup import PATH_TYPES
from engine.metrics_sql import Scope
from engine.models import ElementPassage, Event, ProcessDefinition

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
GATEWAYS = {"exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway"}
FIRST_EVENTS = (*PATH_TYPES, EventType.TASK_READY, EventType.JOB_SCHEDULED)
LIVE_LIST = 5000  # more live instances than this are selected by subquery rather than bound as a list


@dataclass(frozen=True)
class Flow:
    id: str
    name: str
    target: str


@dataclass(frozen=True)
class Gateway:
    id: str
    name: str
    kind: str
    flows: tuple[Flow, ...]


@dataclass
class BranchShares:
    """One diverging gateway: how often it was passed and how often each flow was taken."""

    gateway: Gateway
    passages: int = 0
    taken: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"gateway_id": self.gateway.id, "name": self.gateway.name, "kind": self.gateway.kind,
                "passages": self.passages,
                "flows": [{"flow_id": f.id, "name": f.name, "target": f.target, "count": self.taken.get(f.id, 0),
                           "share": self.taken.get(f.id, 0) / self.passages if self.passages else 0.0}
                          for f in self.gateway.flows]}


@lru_cache(maxsize=32)
def _gateways(content_hash: str, xml: str) -> tuple[Gateway, ...]:
    root = etree.fromstring(xml.encode(), parser=etree.XMLParser(resolve_entities=False, no_network=True))
    flows: dict[str, list[Flow]] = {}
    for flow in root.iter(f"{{{BPMN}}}sequenceFlow"):
        flows.setdefault(flow.get("sourceRef", ""), []).append(
            Flow(flow.get("id", ""), flow.get("name") or "", flow.get("targetRef", "")))
    found = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        kind = etree.QName(el).localname
        outgoing = flows.get(el.get("id", ""), [])
        if kind in GATEWAYS and len(outgoing) > 1:
            found.append(Gateway(el.get("id", ""), el.get("name") or "", kind, tuple(outgoing)))
    return tuple(found)


def diverging_gateways(definition: ProcessDefinition) -> tuple[Gateway, ...]:
    """The gateways of a definition with more than one outgoing sequence flow, in document order."""
    return _gateways(definition.content_hash, definition.bpmn_xml)


def _finished(session: Session, scope: Scope, gateways: tuple[Gateway, ...]
              ) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """Roll-up counts: passages per gateway, and per (target, gateway) the times that flow was taken.

    Two statements: the passages are counted along an element's index range, the flows only over the rows that
    follow a gateway (one statement with an OR had to group every row of the process).
    """
    ids = [g.id for g in gateways]
    conds = [ElementPassage.definition_id.in_(scope.definitions()), *scope.facet_conditions(ElementPassage.instance_id),
             *scope.in_range(ElementPassage.completed_at)]
    passed = (select(ElementPassage.element_id, func.count())
              .where(ElementPassage.human.is_(False), ElementPassage.element_id.in_(ids), *conds)
              .group_by(ElementPassage.element_id))
    taken = (select(ElementPassage.element_id, ElementPassage.prev_element_id, func.count())
             .where(ElementPassage.prev_element_id.in_(ids), *conds)
             .group_by(ElementPassage.element_id, ElementPassage.prev_element_id))
    return ({el: int(n) for el, n in session.execute(passed)},
            {(el, str(prev)): int(n) for el, prev, n in session.execute(taken)})


def _live_ids(session: Session, scope: Scope) -> Any:
    """The live instances as a list of ids when few, as they are once the finished ones are rolled up: the
    statements that follow then do not each check every instance of the process for its roll-up."""
    ids = list(session.scalars(live_instances(scope).limit(LIVE_LIST + 1)))
    return ids if len(ids) <= LIVE_LIST else live_instances(scope)


def _live_passages(session: Session, scope: Scope, live_ids: Any, gateways: tuple[Gateway, ...]) -> dict[str, int]:
    """Passages of running instances per gateway, in one statement."""
    live = (select(Event.element_id, func.count())
            .where(Event.instance_id.in_(live_ids), Event.element_id.in_([g.id for g in gateways]),
                   Event.type.in_(PATH_TYPES), *scope.in_range(Event.at))
            .group_by(Event.element_id))
    return {str(el): int(n) for el, n in session.execute(live)}


def _live_targets(session: Session, scope: Scope, live_ids: Any, gateway: Gateway, targets: list[str]
                  ) -> dict[str, int]:
    # A running instance may wait at the target: its first event (ready, scheduled or completed) tells the flow.
    is_gateway = (Event.element_id == gateway.id) & Event.type.in_(PATH_TYPES)
    stream = (select(Event.instance_id, Event.element_id, Event.seq,
                     func.sum(case((is_gateway, 1), else_=0)).over(
                         partition_by=Event.instance_id, order_by=Event.seq).label("passage"))
              .where(Event.instance_id.in_(live_ids), Event.element_id.in_([gateway.id, *targets]),
                     Event.type.in_(FIRST_EVENTS), *scope.in_range(Event.at))).subquery("s")
    # Exclusive: the first target after the passage; inclusive: the first event of each target in the passage.
    partition = [stream.c.instance_id, stream.c.passage]
    if gateway.kind == "inclusiveGateway":
        partition.append(stream.c.element_id)
    ranked = (select(stream.c.element_id,
                     func.row_number().over(partition_by=partition, order_by=stream.c.seq).label("rn"))
              .where(stream.c.passage > 0, stream.c.element_id != gateway.id)).subquery("r")
    stmt = select(ranked.c.element_id, func.count()).where(ranked.c.rn == 1).group_by(ranked.c.element_id)
    return {el: int(n) for el, n in session.execute(stmt)}


def branch_shares(*, session: Session, scope: Scope, definition: ProcessDefinition) -> list[BranchShares]:
    """For each diverging gateway of the definition's diagram: passages in scope and the count per flow."""
    gateways = diverging_gateways(definition)
    passed, flows = _finished(session, scope, gateways) if gateways else ({}, {})
    live_ids = _live_ids(session, scope) if gateways else []
    live = _live_passages(session, scope, live_ids, gateways) if gateways else {}
    result = []
    for gateway in gateways:
        passages = live.get(gateway.id, 0) + passed.get(gateway.id, 0)
        if gateway.kind == "parallelGateway":
            taken = {f.id: passages for f in gateway.flows}
        else:
            targets = sorted({f.target for f in gateway.flows} - {gateway.id})
            reached = _live_targets(session, scope, live_ids, gateway, targets)
            taken = {f.id: reached.get(f.target, 0) + flows.get((f.target, gateway.id), 0) for f in gateway.flows}
        result.append(BranchShares(gateway, passages, taken))
    return result
