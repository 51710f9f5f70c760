"""Migrating running instances between versions: the check, the batch, and the instance continuing on the target."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain import clock
from engine import audit, deployment, history, migration, operations, runtime
from engine.bundle import BundleFile
from engine.history import EventType
from engine.models import (
    HumanTask,
    Job,
    JobStatus,
    MessageSubscription,
    ProcessDefinition,
    ProcessInstance,
    TaskStatus,
)
from flowdesk.demo import process_bundle
from tests import message_samples, timer_samples
from tests.bpmn_samples import bundle, simple_process
from tests.conftest import MovableClock

REVIEWER = runtime.Actor("rita", {"reviewers"})
OWNER = runtime.Actor("owner", {"process_owner"})
SALES = runtime.Actor("sales", {"sales"})
OPS = runtime.Actor("olga", {"ops"})  # the lane of the timer samples
LEAD_TO_CASH = Path(__file__).resolve().parents[2] / "processes" / "lead_to_cash.bpmn"

CHECK_TASK = (
    '<bpmn:userTask id="Activity_Check" name="Check"><bpmn:incoming>Flow_3</bpmn:incoming>'
    "<bpmn:outgoing>Flow_4</bpmn:outgoing></bpmn:userTask>\n"
    '<bpmn:sequenceFlow id="Flow_4" sourceRef="Activity_Check" targetRef="EndEvent_1"/>\n'
)


def with_check_after_review(xml: str, task_id: str = "Activity_Review") -> str:
    """The simple process with a user task "Check" between the review and the end."""
    xml = xml.replace(f'<bpmn:sequenceFlow id="Flow_3" sourceRef="{task_id}" targetRef="EndEvent_1"/>',
                      f'<bpmn:sequenceFlow id="Flow_3" sourceRef="{task_id}" targetRef="Activity_Check"/>')
    xml = xml.replace("<bpmn:incoming>Flow_3</bpmn:incoming></bpmn:endEvent>",
                      "<bpmn:incoming>Flow_4</bpmn:incoming></bpmn:endEvent>")
    xml = xml.replace("<bpmn:flowNodeRef>EndEvent_1</bpmn:flowNodeRef>",
                      "<bpmn:flowNodeRef>Activity_Check</bpmn:flowNodeRef><bpmn:flowNodeRef>EndEvent_1</bpmn:flowNodeRef>")
    return xml.replace("</bpmn:process>", CHECK_TASK + "</bpmn:process>")


def lead_to_cash_v2(key: str = "lead_to_cash") -> str:
    """lead_to_cash.bpmn with a user task "Check credit" (lane Sales) between Qualify lead and its gateway."""
    xml = LEAD_TO_CASH.read_text(encoding="utf-8")
    xml = xml.replace('sourceRef="Activity_QualifyLead" targetRef="Gateway_LeadQualified"',
                      'sourceRef="Activity_QualifyLead" targetRef="Activity_CheckCredit"')
    xml = xml.replace("<bpmn:incoming>Flow_QualifyLeadToLeadQualified</bpmn:incoming>",
                      "<bpmn:incoming>Flow_CheckCreditToLeadQualified</bpmn:incoming>")
    xml = xml.replace("<bpmn:flowNodeRef>Activity_QualifyLead</bpmn:flowNodeRef>",
                      "<bpmn:flowNodeRef>Activity_QualifyLead</bpmn:flowNodeRef>"
                      "<bpmn:flowNodeRef>Activity_CheckCredit</bpmn:flowNodeRef>")
    extra = ('<bpmn:userTask id="Activity_CheckCredit" name="Check credit">'
             "<bpmn:incoming>Flow_QualifyLeadToLeadQualified</bpmn:incoming>"
             "<bpmn:outgoing>Flow_CheckCreditToLeadQualified</bpmn:outgoing></bpmn:userTask>\n"
             '<bpmn:sequenceFlow id="Flow_CheckCreditToLeadQualified" sourceRef="Activity_CheckCredit" '
             'targetRef="Gateway_LeadQualified" />\n')
    return rekeyed(xml.replace("</bpmn:process>", extra + "</bpmn:process>"), key)


def rekeyed(xml: str, key: str) -> str:
    """A lead-to-cash diagram under another process key (its own versions, apart from the demo's)."""
    return xml.replace('"lead_to_cash"', f'"{key}"')


def deploy_lead_to_cash(session: Session, xml: str, name: str = "lead_to_cash.bpmn") -> ProcessDefinition:
    """Deploy a lead-to-cash diagram with the demo forms and decision tables."""
    files = [f for f in process_bundle() if not f.name.endswith(".bpmn")] + [BundleFile(name, xml.encode())]
    deployed = deployment.deploy(session=session, files=files, actor="owner")
    return next(d.definition for d in deployed if d.definition.bpmn_filename == name)


def _deploy(session: Session, xml: str) -> ProcessDefinition:
    return deployment.deploy(session=session, files=bundle(xml), actor="owner")[0].definition


def _setup(session: Session, key: str, v2_xml: str | None = None, count: int = 1
           ) -> tuple[ProcessDefinition, ProcessDefinition, list[ProcessInstance]]:
    """v1 deployed, `count` instances started on it (waiting at the review), then v2 deployed."""
    v1 = _deploy(session, simple_process(key=key))
    started = [_start(session, key) for _ in range(count)]
    v2 = _deploy(session, v2_xml or with_check_after_review(simple_process(key=key)))
    return v1, v2, started


def _start(session: Session, key: str) -> ProcessInstance:
    """A v1 instance waiting at its review (amount 60 -> total 120 > 100)."""
    return runtime.start_instance(session=session, process_key=key, actor=REVIEWER, variables={"amount": 60})


def _open(session: Session, instance_id: int) -> list[HumanTask]:
    return list(session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                        HumanTask.status == TaskStatus.OPEN)))


def _complete_open(session: Session, instance_id: int, data: dict | None = None,
                   actor: runtime.Actor = REVIEWER) -> None:
    [task] = _open(session, instance_id)
    runtime.complete_task(session=session, task_id=task.id, actor=actor, data=data or {})


def _migrate(session: Session, v2: ProcessDefinition, *ids: int, mapping: dict[str, str] | None = None
             ) -> list[migration.MigrationResult]:
    return migration.migrate(session=session, target_definition_id=v2.id, instance_ids=list(ids), mapping=mapping,
                             actor=OWNER)


def test_an_instance_at_a_task_both_versions_have_moves_and_continues_on_the_new_path(session: Session) -> None:
    old_v, v2, [inst] = _setup(session, "mig_same")
    [result] = _migrate(session, v2, inst.id)
    assert (result.moved, result.code) == (True, "moved")
    assert inst.definition_id == v2.id
    _complete_open(session, inst.id, {"approved": True})
    assert [t.element_id for t in _open(session, inst.id)] == ["Activity_Check"]  # only v2 has it
    _complete_open(session, inst.id)
    assert inst.status == "completed" and old_v.version == 1


def test_lead_to_cash_instance_moves_to_v2_and_reaches_its_new_task(session: Session) -> None:
    from tests.factories import make_customer

    customer = make_customer(session, tier="regular")
    v1 = deploy_lead_to_cash(session, LEAD_TO_CASH.read_text(encoding="utf-8"))
    inst = runtime.start_instance(session=session, process_key="lead_to_cash", actor=SALES, variables={
        "customer_code": customer.code, "lead_title": "Pumps", "source": "web"})
    _complete_open(session, inst.id, {"channel": "phone"}, actor=SALES)  # first contact: now at Qualify lead
    v2 = deploy_lead_to_cash(session, lead_to_cash_v2())
    assert (inst.definition_id, v2.version) == (v1.id, v1.version + 1)
    [check] = migration.check(session=session, target_definition_id=v2.id, instance_ids=[inst.id])
    assert check.can_move and [e.id for e in check.elements] == ["Activity_QualifyLead"]
    assert _migrate(session, v2, inst.id)[0].moved
    [qualify] = _open(session, inst.id)
    assert (qualify.element_id, qualify.candidate_group, qualify.form_file) == (
        "Activity_QualifyLead", "sales", "qualify_lead.schema.json")
    _complete_open(session, inst.id, {"qualified": True}, actor=SALES)
    assert [t.name for t in _open(session, inst.id)] == ["Check credit"]


def test_an_instance_at_a_task_removed_in_the_target_is_refused_unless_mapped(session: Session) -> None:
    v2_xml = simple_process(key="mig_removed", task_id="Activity_Approve")
    _, v2, [inst] = _setup(session, "mig_removed", v2_xml)
    [check] = migration.check(session=session, target_definition_id=v2.id, instance_ids=[inst.id])
    assert not check.can_move
    assert [(p.code, p.element_id) for p in check.problems] == [("element_missing", "Activity_Review")]
    assert [(e.id, e.missing, e.target_id) for e in check.elements] == [("Activity_Review", True, None)]
    assert check.elements[0].suggestion == "Activity_Approve"  # same place in the flow (SpiffWorkflow's SpecDiff)
    [result] = _migrate(session, v2, inst.id)
    assert (result.moved, result.code) == (False, "element_missing")
    assert inst.definition_id != v2.id and [t.element_id for t in _open(session, inst.id)] == ["Activity_Review"]


def test_a_mapped_task_moves_to_its_target_element_and_completes_there(session: Session) -> None:
    _, v2, [inst] = _setup(session, "mig_mapped", simple_process(key="mig_mapped", task_id="Activity_Approve"))
    [check] = migration.check(session=session, target_definition_id=v2.id, instance_ids=[inst.id],
                              mapping={"Activity_Review": "Activity_Approve"})
    assert check.can_move and check.elements[0].target_id == "Activity_Approve"
    assert _migrate(session, v2, inst.id, mapping={"Activity_Review": "Activity_Approve"})[0].moved
    [task] = _open(session, inst.id)
    assert (task.element_id, task.candidate_group) == ("Activity_Approve", "reviewers")
    runtime.complete_task(session=session, task_id=task.id, actor=REVIEWER, data={"approved": True})
    assert inst.status == "completed"
    event = history.instance_history(session=session, instance_id=inst.id)
    migrated = next(e for e in event if e.type == EventType.INSTANCE_MIGRATED)
    assert migrated.data["mapping"] == {"Activity_Review": "Activity_Approve"}
    assert migrated.data["moved"] == [{"from": "Activity_Review", "to": "Activity_Approve", "name": "Review"}]


def test_mapping_to_a_missing_or_different_type_element_is_refused(session: Session) -> None:
    _, v2, [inst] = _setup(session, "mig_badmap", simple_process(key="mig_badmap", task_id="Activity_Approve"))
    [nowhere] = migration.check(session=session, target_definition_id=v2.id, instance_ids=[inst.id],
                                mapping={"Activity_Review": "Activity_Nope"})
    [script] = migration.check(session=session, target_definition_id=v2.id, instance_ids=[inst.id],
                               mapping={"Activity_Review": "Activity_Compute"})
    assert [p.code for p in nowhere.problems] == ["mapping_target_missing"]
    assert [p.code for p in script.problems] == ["mapping_type_mismatch"]


def test_a_claimed_task_keeps_its_assignee(session: Session) -> None:
    _, v2, [inst] = _setup(session, "mig_claimed")
    [task] = _open(session, inst.id)
    runtime.claim_task(session=session, task_id=task.id, actor=REVIEWER)
    assert _migrate(session, v2, inst.id)[0].moved
    [after] = _open(session, inst.id)
    assert (after.id, after.assignee) == (task.id, "rita")


def test_a_waiting_timer_keeps_its_due_time_and_fires_on_the_target(moving_clock: MovableClock,
                                                                    session: Session) -> None:
    v1 = _deploy(session, timer_samples.intermediate_timer("mig_timer"))
    inst = runtime.start_instance(session=session, process_key="mig_timer", actor=OPS)
    _complete_open(session, inst.id, actor=OPS)
    [job] = session.scalars(select(Job).where(Job.instance_id == inst.id, Job.kind == "timer"))
    v2_xml = timer_samples.intermediate_timer("mig_timer").replace('name="Second"', 'name="Second look"')
    v2 = _deploy(session, v2_xml)
    moving_clock.advance(minutes=20)
    assert _migrate(session, v2, inst.id)[0].moved and v1.id != v2.id
    pending = list(session.scalars(select(Job).where(Job.instance_id == inst.id, Job.kind == "timer",
                                                     Job.status == JobStatus.PENDING)))
    assert [(j.id, j.due_at) for j in pending] == [(job.id, job.due_at)]  # still 1 h after it started waiting
    moving_clock.advance(hours=1)
    ctx, workflow = runtime.load_for_step(session, inst, actor="timer")
    workflow.refresh_timers()
    runtime.advance(ctx, inst, workflow)
    assert [t.name for t in _open(session, inst.id)] == ["Second look"]


def test_a_timer_whose_duration_changed_is_scheduled_again_from_the_migration(moving_clock: MovableClock,
                                                                              session: Session) -> None:
    _deploy(session, timer_samples.intermediate_timer("mig_timer2", duration="PT1H"))
    inst = runtime.start_instance(session=session, process_key="mig_timer2", actor=OPS)
    _complete_open(session, inst.id, actor=OPS)
    v2 = _deploy(session, timer_samples.intermediate_timer("mig_timer2", duration="PT3H"))
    moving_clock.advance(minutes=30)
    assert _migrate(session, v2, inst.id)[0].moved
    jobs = {j.status: j for j in session.scalars(select(Job).where(Job.instance_id == inst.id, Job.kind == "timer"))}
    assert jobs[JobStatus.CANCELLED].due_at < jobs[JobStatus.PENDING].due_at
    assert jobs[JobStatus.PENDING].due_at == clock.now() + timedelta(hours=3)


def test_a_message_subscription_is_derived_again_for_the_target(session: Session) -> None:
    v1 = deployment.deploy(session=session, actor="owner", files=message_samples.bundle(
        message_samples.waiting_process(key="mig_msg", message="mig_paid")))[0].definition
    inst = runtime.start_instance(session=session, process_key="mig_msg", actor=OWNER,
                                  variables={"order_number": "SO-77"})
    v2_xml = message_samples.waiting_process(key="mig_msg", message="mig_paid").replace(
        'name="Payment received"', 'name="Paid"')
    v2 = deployment.deploy(session=session, actor="owner", files=message_samples.bundle(v2_xml))[0].definition
    assert v1.id != v2.id and _migrate(session, v2, inst.id)[0].moved
    [sub] = session.scalars(select(MessageSubscription).where(MessageSubscription.instance_id == inst.id))
    assert (sub.element_id, sub.message_name, sub.correlation_key) == (
        "Event_AwaitPayment", "mig_paid", "order_number=SO-77")
    from engine import messages

    messages.deliver(session=session, name="mig_paid", correlation={"order_number": "SO-77"}, payload={},
                     message_id=None, actor=OWNER)
    assert [t.element_id for t in _open(session, inst.id)] == ["Activity_Ship"]


def test_a_suspended_instance_is_refused_and_the_others_still_move(session: Session) -> None:
    _, v2, [held, moving] = _setup(session, "mig_states", count=2)
    operations.suspend(session=session, instance_id=held.id, actor=OWNER, reason="on hold")
    results = [(r.instance_id, r.moved, r.code) for r in _migrate(session, v2, held.id, moving.id)]
    assert results == [(held.id, False, "instance_suspended"), (moving.id, True, "moved")]
    assert (held.definition_id, moving.definition_id) != (v2.id, v2.id) and moving.definition_id == v2.id


def test_a_completed_v1_instance_is_refused(session: Session) -> None:
    v1, v2, [inst] = _setup(session, "mig_done")
    _complete_open(session, inst.id, {"approved": True})
    assert inst.definition_id == v1.id and inst.status == "completed"
    [result] = _migrate(session, v2, inst.id)
    assert (result.moved, result.code) == (False, "instance_not_running")


def test_the_migration_is_in_the_hash_chain_and_the_chain_verifies(session: Session) -> None:
    _, v2, [inst] = _setup(session, "mig_chain")
    _migrate(session, v2, inst.id)
    events = history.instance_history(session=session, instance_id=inst.id)
    migrated = [e for e in events if e.type == EventType.INSTANCE_MIGRATED]
    assert len(migrated) == 1 and migrated[0].actor == "owner"
    assert (migrated[0].data["from_version"], migrated[0].data["to_version"]) == (1, 2)
    assert migrated[0].prev_hash == events[events.index(migrated[0]) - 1].hash
    assert audit.verify_chain(session=session, chain=f"instance:{inst.id}") is None


def test_an_instance_that_stepped_since_the_check_is_refused_and_left_as_it_is(session: Session) -> None:
    _, v2, [stepped, other] = _setup(session, "mig_race", count=2)
    checks = migration.check(session=session, target_definition_id=v2.id, instance_ids=[stepped.id, other.id])
    seen = {c.instance_id: c.lock_version for c in checks}
    _complete_open(session, stepped.id, {"approved": True})  # a concurrent step: the instance moved on
    results = migration.migrate(session=session, target_definition_id=v2.id, instance_ids=[stepped.id, other.id],
                                expected_versions=seen, actor=OWNER)
    assert [(r.instance_id, r.moved, r.code) for r in results] == [
        (stepped.id, False, "instance_changed"), (other.id, True, "moved")]
    assert stepped.definition_id != v2.id and stepped.status == "completed"


def test_a_check_by_source_version_lists_its_unfinished_instances(session: Session) -> None:
    v1 = _deploy(session, simple_process(key="mig_source"))
    waiting = _start(session, "mig_source")
    runtime.start_instance(session=session, process_key="mig_source", actor=REVIEWER, variables={"amount": 1})
    v2 = _deploy(session, with_check_after_review(simple_process(key="mig_source")))
    checks = migration.check(session=session, target_definition_id=v2.id, source_definition_id=v1.id)
    assert [c.instance_id for c in checks] == [waiting.id] and checks[0].version == 1


def test_a_task_with_a_boundary_timer_moves_and_the_timer_still_escalates(moving_clock: MovableClock,
                                                                          session: Session) -> None:
    _deploy(session, timer_samples.boundary_timer("mig_boundary", interrupting=True))
    inst = runtime.start_instance(session=session, process_key="mig_boundary", actor=OPS)
    v2_xml = timer_samples.boundary_timer("mig_boundary", interrupting=True).replace('name="Escalate"',
                                                                                    'name="Escalate now"')
    v2 = _deploy(session, v2_xml)
    assert _migrate(session, v2, inst.id)[0].moved
    assert [t.element_id for t in _open(session, inst.id)] == ["Activity_Approve"]
    moving_clock.advance(hours=3)
    ctx, workflow = runtime.load_for_step(session, inst, actor="timer")
    workflow.refresh_timers()
    runtime.advance(ctx, inst, workflow)
    assert [t.name for t in _open(session, inst.id)] == ["Escalate now"]


def test_an_instance_waiting_at_an_event_based_gateway_moves_with_its_message_and_timer(
        moving_clock: MovableClock, session: Session) -> None:
    from engine import messages

    _deploy(session, timer_samples.message_or_timeout("mig_gateway"))
    inst = runtime.start_instance(session=session, process_key="mig_gateway", actor=OPS)
    [timer_job] = session.scalars(select(Job).where(Job.instance_id == inst.id, Job.kind == "timer"))
    v2 = _deploy(session, timer_samples.message_or_timeout("mig_gateway").replace('name="Ship"', 'name="Ship now"'))
    assert _migrate(session, v2, inst.id)[0].moved
    [sub] = session.scalars(select(MessageSubscription).where(MessageSubscription.instance_id == inst.id))
    assert sub.element_id == "Event_Paid"
    assert session.get(Job, timer_job.id).status == JobStatus.PENDING  # type: ignore[union-attr]
    messages.deliver(session=session, name="paid_mig_gateway", correlation={}, payload={}, message_id=None,
                     actor=OPS)
    assert [t.name for t in _open(session, inst.id)] == ["Ship now"]


def test_an_instance_the_engine_cannot_migrate_stays_behind_and_the_others_move(moving_clock: MovableClock,
                                                                                session: Session) -> None:
    _deploy(session, timer_samples.intermediate_timer("mig_broken"))
    first, waiting, last = (runtime.start_instance(session=session, process_key="mig_broken", actor=OPS)
                            for _ in range(3))
    _complete_open(session, waiting.id, actor=OPS)  # now waiting at the timer
    broken_timer = timer_samples.intermediate_timer("mig_broken").replace('"PT1H"', "no_such_duration")
    v2 = _deploy(session, broken_timer)  # the timer's expression fails only when it is evaluated
    results = [(r.instance_id, r.moved, r.code) for r in _migrate(session, v2, first.id, waiting.id, last.id)]
    assert results == [(first.id, True, "moved"), (waiting.id, False, "migration_failed"), (last.id, True, "moved")]
    assert (first.definition_id, waiting.definition_id, last.definition_id) == (v2.id, v2.id - 1, v2.id)
    [job] = session.scalars(select(Job).where(Job.instance_id == waiting.id, Job.kind == "timer"))
    assert job.status == JobStatus.PENDING
    assert [e.type for e in history.instance_history(session=session, instance_id=waiting.id)
            ].count(EventType.INSTANCE_MIGRATED) == 0
    assert audit.verify_chain(session=session, chain=f"instance:{first.id}") is None


def test_an_instance_with_an_open_incident_is_refused(session: Session) -> None:
    from engine import incidents
    from tests.bpmn_samples import async_service_process

    _deploy(session, async_service_process(key="mig_incident"))
    inst = runtime.start_instance(session=session, process_key="mig_incident", actor=SALES,
                                  variables={"customer_code": "C-NOPE"})
    [job] = session.scalars(select(Job).where(Job.instance_id == inst.id, Job.kind == "service"))
    incidents.raise_for_job(session=session, job=job, trace="LookupError: no customer C-NOPE")
    v2 = _deploy(session, async_service_process(key="mig_incident").replace('name="Follow up"', 'name="Call"'))
    [check] = migration.check(session=session, target_definition_id=v2.id, instance_ids=[inst.id])
    assert [p.code for p in check.problems] == ["incident_open"]
    assert [(e.id, e.state) for e in check.elements] == [("Activity_Load", "started")]


def _without_boundary(xml: str) -> str:
    import re

    return re.sub(r"<bpmn:boundaryEvent.*?</bpmn:boundaryEvent>\n", "", xml, flags=re.S)


def test_a_boundary_timer_added_in_the_target_starts_waiting_on_the_moved_activity(moving_clock: MovableClock,
                                                                                    session: Session) -> None:
    with_timer = timer_samples.boundary_timer("mig_addtimer", interrupting=True)
    _deploy(session, _without_boundary(with_timer))
    inst = runtime.start_instance(session=session, process_key="mig_addtimer", actor=OPS)
    v2 = _deploy(session, with_timer)
    assert _migrate(session, v2, inst.id)[0].moved
    [job] = session.scalars(select(Job).where(Job.instance_id == inst.id, Job.kind == "timer"))
    assert job.due_at == clock.now() + timedelta(hours=2)  # the escalation counts from the migration
    moving_clock.advance(hours=3)
    ctx, workflow = runtime.load_for_step(session, inst, actor="timer")
    workflow.refresh_timers()
    runtime.advance(ctx, inst, workflow)
    assert [t.element_id for t in _open(session, inst.id)] == ["Activity_Escalate"]  # interrupted and escalated


def test_a_boundary_timer_removed_in_the_target_is_dropped_and_the_activity_goes_on(moving_clock: MovableClock,
                                                                                    session: Session) -> None:
    with_timer = timer_samples.boundary_timer("mig_droptimer", interrupting=True)
    _deploy(session, with_timer)
    inst = runtime.start_instance(session=session, process_key="mig_droptimer", actor=OPS)
    v2 = _deploy(session, _without_boundary(with_timer))
    [check] = migration.check(session=session, target_definition_id=v2.id, instance_ids=[inst.id])
    assert check.can_move and [(e.id, e.dropped) for e in check.elements] == [
        ("Activity_Approve", False), ("Event_Late", True)]
    assert _migrate(session, v2, inst.id)[0].moved
    assert [j.status for j in session.scalars(select(Job).where(Job.instance_id == inst.id))] == [
        JobStatus.CANCELLED]
    _complete_open(session, inst.id, actor=OPS)
    assert inst.status == "completed"
    migrated = next(e for e in history.instance_history(session=session, instance_id=inst.id)
                    if e.type == EventType.INSTANCE_MIGRATED)
    assert migrated.data["dropped"] == ["Event_Late"]
