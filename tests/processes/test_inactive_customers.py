"""processes/inactive_customers.bpmn: every night, customers without a follow-up for 90 days go to the shared pool and
each of their sales teams gets a task.

Walkthrough with the demo users: the rule runs by itself at 02:00 (Asia/Shanghai); the next morning `sales` finds
"Re-assign pooled customers" in the inbox, opens the customer list filtered by "in pool", claims customers for a rep
on the customer page, and completes the task with what was done.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from domain.crm.models import Customer
from domain.crm.schemas import FollowUpCreate
from domain.crm.service import record_follow_up
from domain.db import transaction
from engine import runtime
from engine.jobs import TIMER_ACTOR_NAME
from engine.models import HumanTask, ProcessInstance, TaskStatus
from tests import flow
from tests.conftest import MovableClock
from tests.factories import make_customer
from web.i18n import Formatter
from web.pages.context import instance_facts

NIGHTLY = runtime.Actor(TIMER_ACTOR_NAME, admin=True)


def _customer(team: str, owner: str) -> str:
    with transaction() as session:
        customer = make_customer(session, name=f"Dormant {uuid.uuid4().hex[:6]}", sales_team=team, owner=owner)
        record_follow_up(session=session, by=owner, data=FollowUpCreate(customer_code=customer.code, note="call"))
        return customer.code


def _follow_up(code: str) -> None:
    with transaction() as session:
        record_follow_up(session=session, by="sales", data=FollowUpCreate(customer_code=code, note="visit"))


def _run_rule() -> int:
    """Start the rule as its nightly timer does."""
    with transaction() as session:
        return runtime.start_instance(session=session, process_key="inactive_customers", actor=NIGHTLY,
                                      start_timer=True).id


def _pooled(code: str) -> tuple[bool, str | None]:
    with transaction() as session:
        customer = session.scalar(select(Customer).where(Customer.code == code))
        assert customer is not None
        return customer.in_shared_pool, customer.owner


def _team_tasks(instance_id: int) -> dict[str | None, TaskStatus]:
    with transaction() as session:
        rows = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                       HumanTask.element_id == "Activity_ReviewPool"))
        return {row.candidate_group: row.status for row in rows}


def test_customers_silent_for_90_days_go_to_the_pool_and_their_team_gets_a_task(
        world: None, moving_clock: MovableClock) -> None:
    team = f"team_{uuid.uuid4().hex[:6]}"
    dormant, active = _customer(team, "li.na"), _customer(team, "wang.wei")
    moving_clock.advance(days=85)
    _follow_up(active)
    moving_clock.advance(days=5, seconds=1)
    instance = _run_rule()
    assert _pooled(dormant) == (True, None), "the owner is cleared so anyone may claim the customer"
    assert _pooled(active) == (False, "wang.wei")
    tasks = _team_tasks(instance)
    assert tasks[team] == TaskStatus.OPEN
    with transaction() as session:
        task_id = session.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance,
                                                            HumanTask.candidate_group == team))
        assert task_id is not None
        runtime.complete_task(session=session, task_id=task_id, actor=runtime.Actor("lead", {team}),
                              data={"outcome": "left_in_pool"})
    assert _team_tasks(instance)[team] == TaskStatus.COMPLETED


def test_a_night_with_nobody_inactive_ends_without_tasks(world: None, moving_clock: MovableClock) -> None:
    _run_rule()  # whoever is dormant now goes to the pool in this run
    second = _run_rule()
    assert flow.instance_status(second) == "completed"
    assert _team_tasks(second) == {}


def test_the_team_task_shows_which_of_its_customers_went_to_the_pool() -> None:
    pool = {"customers": [{"code": "C1", "name": "Dormant East", "sales_team": "east"},
                          {"code": "C2", "name": "Dormant South", "sales_team": "south"}]}
    instance = ProcessInstance(business_key="INACTIVE-1", variables={"pool": pool, "team": "east"})
    facts = dict(instance_facts(instance, None, Formatter("en"), lambda text: text))
    assert facts["Customers moved to the pool"] == "Dormant East (C1)"
    assert facts["Team"] == "east"
