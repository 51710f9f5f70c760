"""The instance timeline records what people did: the data a task changed, and reassignments with who, from, to."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.errors import Conflict, Forbidden, InvalidInput
from engine import deployment, operations, runtime
from engine.history import EventType
from engine.models import Event, HumanTask
from tests.bpmn_samples import bundle, simple_process

OLGA = runtime.Actor("olga", {"reviewers"})
RITA = runtime.Actor("rita", {"reviewers"})
ADMIN = runtime.Actor("root", {"admin"}, admin=True)
MANAGER = runtime.Actor("mona", {"manager"})


@pytest.fixture
def review(session: Session) -> HumanTask:
    """An instance waiting at Review (group reviewers) with amount 100."""
    key = f"tl_{uuid.uuid4().hex[:8]}"
    deployment.deploy(session=session, files=bundle(simple_process(key=key), name=f"{key}.bpmn"), actor="owner")
    instance = runtime.start_instance(session=session, process_key=key, actor=OLGA, variables={"amount": 100})
    return session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id)).one()


def _last(session: Session, task: HumanTask, type_: EventType) -> Event:
    session.flush()
    return session.scalars(select(Event).where(Event.chain == f"instance:{task.instance_id}", Event.type == type_)
                           .order_by(Event.seq.desc()).limit(1)).one()


def test_completing_a_task_records_what_the_entered_data_changed(session: Session, review: HumanTask) -> None:
    runtime.complete_task(session=session, task_id=review.id, actor=OLGA, data={"approved": True, "amount": 150})
    changes = _last(session, review, EventType.TASK_COMPLETED).data["changes"]
    assert changes == {"approved": {"before": None, "after": True}, "amount": {"before": 100, "after": 150}}


def test_data_entered_unchanged_is_not_a_change(session: Session, review: HumanTask) -> None:
    runtime.complete_task(session=session, task_id=review.id, actor=OLGA, data={"approved": False, "amount": 100})
    assert list(_last(session, review, EventType.TASK_COMPLETED).data["changes"]) == ["approved"]


def test_reassigning_records_the_acting_user_from_and_to(session: Session, review: HumanTask) -> None:
    runtime.claim_task(session=session, task_id=review.id, actor=OLGA)
    operations.reassign(session=session, task_id=review.id, actor=MANAGER, to=RITA, reason="Olga is on leave")
    event = _last(session, review, EventType.TASK_REASSIGNED)
    assert (event.actor, event.data["from"], event.data["to"], event.data["reason"]) == (
        "mona", "olga", "rita", "Olga is on leave")
    assert review.assignee == "rita"


def test_only_the_new_assignee_completes_a_reassigned_task(session: Session, review: HumanTask) -> None:
    operations.reassign(session=session, task_id=review.id, actor=ADMIN, to=RITA)
    with pytest.raises(Conflict):
        runtime.complete_task(session=session, task_id=review.id, actor=OLGA, data={"approved": True})
    runtime.complete_task(session=session, task_id=review.id, actor=RITA, data={"approved": True})
    assert review.completed_by == "rita"


def test_a_task_goes_only_to_someone_who_may_work_it(session: Session, review: HumanTask) -> None:
    with pytest.raises(InvalidInput):
        operations.reassign(session=session, task_id=review.id, actor=ADMIN, to=runtime.Actor("wendy", {"warehouse"}))


@pytest.mark.parametrize("who", [OLGA, runtime.Actor("audrey", {"auditor", "manager"}, read_only=True)])
def test_only_admins_and_managers_reassign(session: Session, review: HumanTask, who: runtime.Actor) -> None:
    with pytest.raises(Forbidden):
        operations.reassign(session=session, task_id=review.id, actor=who, to=RITA)


def test_a_completed_task_cannot_be_reassigned(session: Session, review: HumanTask) -> None:
    runtime.complete_task(session=session, task_id=review.id, actor=OLGA, data={"approved": True})
    with pytest.raises(Conflict):
        operations.reassign(session=session, task_id=review.id, actor=ADMIN, to=RITA)
