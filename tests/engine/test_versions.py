"""Running instances stay on the version they started on; new instances take the newest version."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import deployment, runtime
from engine.models import HumanTask, InstanceStatus, ProcessDefinition
from tests.bpmn_samples import bundle, simple_process

REVIEWER = runtime.Actor("rita", {"reviewers"})


def _deploy(session: Session, condition: str) -> ProcessDefinition:
    return deployment.deploy(session=session, files=bundle(simple_process(key="versioned", condition=condition)),
                             actor="owner")[0].definition


def test_instances_stay_on_their_version(session: Session) -> None:
    v1 = _deploy(session, "total > 100")
    old = runtime.start_instance(session=session, process_key="versioned", actor=REVIEWER, variables={"amount": 60})
    v2 = _deploy(session, "total > 1000")
    new = runtime.start_instance(session=session, process_key="versioned", actor=REVIEWER, variables={"amount": 60})
    assert (v1.version, v2.version) == (1, 2)
    assert (old.definition_id, new.definition_id) == (v1.id, v2.id)
    # v1 sends total 120 to review; v2 ends at once.
    assert new.status == InstanceStatus.COMPLETED
    task = session.scalar(select(HumanTask).where(HumanTask.instance_id == old.id))
    assert task is not None and task.candidate_group == "reviewers"
    runtime.complete_task(session=session, task_id=task.id, actor=REVIEWER, data={"approved": True})
    assert old.status == InstanceStatus.COMPLETED and old.definition_id == v1.id


def test_task_data_keeps_decimals_exactly(session: Session) -> None:
    deployment.deploy(session=session, files=bundle(simple_process(key="decimals", script="total = amount * 3")),
                      actor="owner")
    inst = runtime.start_instance(session=session, process_key="decimals", actor=REVIEWER,
                                  variables={"amount": 0.1})
    assert inst.variables["total"] == "0.3"  # Decimal("0.1") * 3, not 0.30000000000000004


def test_a_definition_read_in_a_rolled_back_transaction_is_not_served_from_cache(world: None) -> None:
    import pytest

    from domain.db import transaction

    with pytest.raises(RuntimeError), transaction() as session:
        deployment.deploy(session=session, actor="owner",
                          files=bundle(simple_process(key="rolled_back", script="total = amount * 2")))
        runtime.start_instance(session=session, process_key="rolled_back", actor=REVIEWER, variables={"amount": 1})
        raise RuntimeError("the deploy transaction fails after the spec was cached")
    with transaction() as session:
        deployment.deploy(session=session, actor="owner",
                          files=bundle(simple_process(key="rolled_back", script="total = amount * 5")))
        inst = runtime.start_instance(session=session, process_key="rolled_back", actor=REVIEWER,
                                      variables={"amount": 1})
        assert inst.variables["total"] == 5
