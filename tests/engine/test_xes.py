"""The XES export read back by PM4Py: the same cases, events and activity durations as Flowdesk's own tables."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pm4py
import pytest
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain import clock
from engine import deployment, operations, runtime, xes
from engine.bundle import BundleFile
from engine.models import HumanTask, ProcessInstance, TaskStatus
from tests.bpmn_samples import HEADER
from tests.conftest import MovableClock

XES = "{http://www.xes-standard.org/}"
CLERK = runtime.Actor("clara", {"ops"})
BOSS = runtime.Actor("bruno", {"ops"})
# The shape of IEEE 1849-2016: the log's header elements, then traces of events, each attribute typed.
XSD = r"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns="http://www.xes-standard.org/"
  targetNamespace="http://www.xes-standard.org/" elementFormDefault="qualified">
 <xs:complexType name="Attr"><xs:attribute name="key" type="xs:string" use="required"/>
  <xs:attribute name="value" type="xs:string" use="required"/></xs:complexType>
 <xs:complexType name="DateAttr"><xs:attribute name="key" type="xs:string" use="required"/>
  <xs:attribute name="value" type="xs:dateTime" use="required"/></xs:complexType>
 <xs:complexType name="IntAttr"><xs:attribute name="key" type="xs:string" use="required"/>
  <xs:attribute name="value" type="xs:long" use="required"/></xs:complexType>
 <xs:group name="Attrs"><xs:choice><xs:element name="string" type="Attr"/><xs:element name="date" type="DateAttr"/>
  <xs:element name="int" type="IntAttr"/></xs:choice></xs:group>
 <xs:element name="log"><xs:complexType><xs:sequence>
  <xs:element name="extension" minOccurs="0" maxOccurs="unbounded"><xs:complexType>
   <xs:attribute name="name" type="xs:NCName" use="required"/>
   <xs:attribute name="prefix" type="xs:NCName" use="required"/>
   <xs:attribute name="uri" type="xs:anyURI" use="required"/></xs:complexType></xs:element>
  <xs:element name="global" minOccurs="0" maxOccurs="2"><xs:complexType>
   <xs:sequence><xs:group ref="Attrs" maxOccurs="unbounded"/></xs:sequence>
   <xs:attribute name="scope" use="required"><xs:simpleType><xs:restriction base="xs:token">
    <xs:enumeration value="trace"/><xs:enumeration value="event"/></xs:restriction></xs:simpleType></xs:attribute>
  </xs:complexType></xs:element>
  <xs:element name="classifier" minOccurs="0" maxOccurs="unbounded"><xs:complexType>
   <xs:attribute name="name" type="xs:string" use="required"/>
   <xs:attribute name="keys" type="xs:string" use="required"/>
  </xs:complexType></xs:element>
  <xs:group ref="Attrs" minOccurs="0" maxOccurs="unbounded"/>
  <xs:element name="trace" minOccurs="0" maxOccurs="unbounded"><xs:complexType><xs:sequence>
   <xs:group ref="Attrs" minOccurs="0" maxOccurs="unbounded"/>
   <xs:element name="event" minOccurs="0" maxOccurs="unbounded"><xs:complexType><xs:sequence>
    <xs:group ref="Attrs" minOccurs="0" maxOccurs="unbounded"/></xs:sequence></xs:complexType></xs:element>
  </xs:sequence></xs:complexType></xs:element>
 </xs:sequence>
 <xs:attribute name="xes.version" use="required"><xs:simpleType><xs:restriction base="xs:token">
  <xs:pattern value="1849-2016|[0-9]+\.[0-9]+"/></xs:restriction></xs:simpleType></xs:attribute>
 <xs:attribute name="xes.features" type="xs:token"/></xs:complexType></xs:element>
</xs:schema>"""


def _two_step_process(key: str) -> str:
    """start -> Review (user task) -> Approve (user task) -> end."""
    return (
        HEADER + f'<bpmn:process id="{key}" name="Two steps" isExecutable="true">\n'
        '<bpmn:startEvent id="StartEvent_1" name="Request in"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>\n'
        '<bpmn:sequenceFlow id="F1" sourceRef="StartEvent_1" targetRef="Activity_Review"/>\n'
        '<bpmn:userTask id="Activity_Review" name="Review"><bpmn:incoming>F1</bpmn:incoming>'
        "<bpmn:outgoing>F2</bpmn:outgoing></bpmn:userTask>\n"
        '<bpmn:sequenceFlow id="F2" sourceRef="Activity_Review" targetRef="Activity_Approve"/>\n'
        '<bpmn:userTask id="Activity_Approve" name="Approve"><bpmn:incoming>F2</bpmn:incoming>'
        "<bpmn:outgoing>F3</bpmn:outgoing></bpmn:userTask>\n"
        '<bpmn:sequenceFlow id="F3" sourceRef="Activity_Approve" targetRef="EndEvent_1"/>\n'
        '<bpmn:endEvent id="EndEvent_1" name="Done"><bpmn:incoming>F3</bpmn:incoming></bpmn:endEvent>\n'
        "</bpmn:process>\n</bpmn:definitions>\n"
    )


def _open_task(session: Session, instance_id: int) -> HumanTask:
    task = session.scalar(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                  HumanTask.status == TaskStatus.OPEN))
    assert task is not None
    return task


def _work(session: Session, clock: MovableClock, instance_id: int, wait_minutes: int, work_minutes: int) -> None:
    """Wait, claim, work, complete the instance's open task."""
    clock.advance(minutes=wait_minutes)
    task = _open_task(session, instance_id)
    runtime.claim_task(session=session, task_id=task.id, actor=CLERK)
    clock.advance(minutes=work_minutes)
    runtime.complete_task(session=session, task_id=task.id, actor=CLERK, data={})


@pytest.fixture
def moved() -> Iterator[MovableClock]:
    """Time moved by the test (no jobs are made here, so nothing to clean up after, unlike `moving_clock`)."""
    fake = MovableClock()
    clock.set_clock(lambda: fake.now)
    try:
        yield fake
    finally:
        clock.reset_clock()


@pytest.fixture
def generated(session: Session, moved: MovableClock) -> str:
    """Five instances with different waiting and working times; the last one still waits at Approve."""
    key = f"xes_{uuid.uuid4().hex[:8]}"
    deployment.deploy(session=session, files=[BundleFile(f"{key}.bpmn", _two_step_process(key).encode())],
                      actor="owner")
    for i in range(5):
        moved.advance(hours=1)
        instance = runtime.start_instance(session=session, process_key=key, actor=BOSS, variables={"n": i})
        _work(session, moved, instance.id, wait_minutes=10 * (i + 1), work_minutes=5 + i)
        if i < 4:
            _work(session, moved, instance.id, wait_minutes=30, work_minutes=3 * (i + 1))
    session.flush()
    return key


def _export(session: Session, key: str, path: Path, **filters: Any) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for piece in xes.stream(session=session, f=xes.XesFilter(process_key=key, **filters)):
            out.write(piece)
    return path


def _flowdesk_durations(session: Session, key: str) -> dict[str, list[float]]:
    """Task durations (created -> completed) from the human task table, not from the events."""
    rows = session.execute(select(HumanTask.name, HumanTask.created_at, HumanTask.completed_at)
                           .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
                           .where(ProcessInstance.process_key == key, HumanTask.status == TaskStatus.COMPLETED))
    out: dict[str, list[float]] = defaultdict(list)
    for name, created, completed in rows:
        assert completed is not None
        out[name].append((completed - created).total_seconds())
    return {k: sorted(v) for k, v in out.items()}


def _pm4py_durations(log: Any) -> dict[str, list[float]]:
    """Per-activity durations as PM4Py pairs start and complete (its interval conversion)."""
    from pm4py.objects.log.util import interval_lifecycle

    out: dict[str, list[float]] = defaultdict(list)
    for trace in interval_lifecycle.to_interval(log):
        for ev in trace:
            if ev.get("start_timestamp") is not None and ev["start_timestamp"] != ev["time:timestamp"]:
                out[ev["concept:name"]].append((ev["time:timestamp"] - ev["start_timestamp"]).total_seconds())
    return {k: sorted(v) for k, v in out.items()}


def test_pm4py_reads_one_case_per_instance_named_by_business_key(session: Session, generated: str,
                                                                   tmp_path: Path) -> None:
    frame = pm4py.read_xes(str(_export(session, generated, tmp_path / "log.xes")))
    keys = set(session.scalars(select(ProcessInstance.business_key).where(ProcessInstance.process_key == generated)))
    assert set(frame["case:concept:name"]) == keys
    assert len(keys) == 5


def test_pm4py_reads_every_activity_event(session: Session, generated: str, tmp_path: Path) -> None:
    frame = pm4py.read_xes(str(_export(session, generated, tmp_path / "log.xes")))
    counts = frame.groupby(["concept:name", "lifecycle:transition"]).size().to_dict()
    # 5 starts (Request in), Review worked 5 times; Approve ready 5 times, worked 4 times (the last one waits).
    assert counts == {("Request in", "complete"): 5, ("Review", "start"): 5, ("Review", "assign"): 5,
                      ("Review", "complete"): 5, ("Approve", "start"): 5, ("Approve", "assign"): 4,
                      ("Approve", "complete"): 4, ("Done", "complete"): 4}
    assert set(frame["org:resource"]) == {"bruno", "clara"}


def test_activity_durations_match_flowdesks_task_table(session: Session, generated: str, tmp_path: Path) -> None:
    log = pm4py.read_xes(str(_export(session, generated, tmp_path / "log.xes")), return_legacy_log_object=True)
    expected = _flowdesk_durations(session, generated)
    assert _pm4py_durations(log) == expected
    assert expected["Review"] == [(10 * (i + 1) + 5 + i) * 60.0 for i in range(5)]


def test_the_export_is_a_valid_ieee_1849_document(session: Session, generated: str, tmp_path: Path) -> None:
    doc = etree.parse(str(_export(session, generated, tmp_path / "log.xes")))
    etree.XMLSchema(etree.fromstring(XSD.encode())).assertValid(doc)
    root = doc.getroot()
    assert root.get("xes.version") == "1849-2016"
    prefixes = {e.get("prefix"): e.get("uri") for e in root.findall(f"{XES}extension")}
    assert prefixes["concept"] == "http://www.xes-standard.org/concept.xesext"
    assert set(prefixes) == {"concept", "lifecycle", "time", "org"}
    for event in root.iter(f"{XES}event"):
        keys = {a.get("key") for a in event}
        assert {"concept:name", "lifecycle:transition", "time:timestamp", "org:resource"} <= keys


def test_timestamps_carry_their_zone(session: Session, generated: str, tmp_path: Path) -> None:
    doc = etree.parse(str(_export(session, generated, tmp_path / "log.xes")))
    stamps = [d.get("value") for d in doc.getroot().iter(f"{XES}date") if d.getparent().tag == f"{XES}event"]
    assert stamps and all(s.endswith("+00:00") for s in stamps)


def test_a_time_range_keeps_only_instances_started_in_it(session: Session, generated: str, tmp_path: Path) -> None:
    first = session.scalars(select(ProcessInstance.started_at).where(ProcessInstance.process_key == generated)
                            .order_by(ProcessInstance.id)).all()
    path = _export(session, generated, tmp_path / "part.xes", since=first[1], until=first[3] + timedelta(seconds=1))
    assert len(pm4py.read_xes(str(path))["case:concept:name"].unique()) == 3


def test_a_reassignment_is_a_reassign_transition_to_the_new_resource(session: Session, generated: str,
                                                                       tmp_path: Path) -> None:
    waiting = session.scalars(select(ProcessInstance.id).where(ProcessInstance.process_key == generated)
                              .order_by(ProcessInstance.id.desc())).first()
    assert waiting is not None
    task = _open_task(session, waiting)
    operations.reassign(session=session, task_id=task.id, actor=runtime.Actor("root", {"admin"}, admin=True),
                        to=BOSS)
    frame = pm4py.read_xes(str(_export(session, generated, tmp_path / "log.xes")))
    moved = frame[frame["lifecycle:transition"] == "reassign"]
    assert list(zip(moved["concept:name"], moved["org:resource"], strict=True)) == [("Approve", "bruno")]
