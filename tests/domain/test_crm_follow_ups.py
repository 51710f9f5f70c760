"""The follow-up log, the customer's last follow-up, and the inactive-customers rule (shared pool)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from domain import clock
from domain.crm import pipeline, service
from domain.crm.models import FollowUpChannel
from domain.crm.schemas import FollowUpCreate
from domain.errors import Conflict, InvalidInput
from tests.conftest import MovableClock
from tests.factories import make_customer
from tests.factories_crm import make_lead, make_opportunity


def test_follow_up_moves_the_customers_last_follow_up(moving_clock: MovableClock, session: Session) -> None:
    customer = make_customer(session)

    entry = service.record_follow_up(session=session, by="sales", data=FollowUpCreate(
        customer_code=customer.code, channel=FollowUpChannel.VISIT, note="site visit"))

    assert customer.last_follow_up_at == moving_clock.now == entry.at


def test_older_follow_up_does_not_move_last_follow_up_back(moving_clock: MovableClock, session: Session) -> None:
    customer = make_customer(session)
    service.record_follow_up(session=session, by="sales", data=FollowUpCreate(customer_code=customer.code))

    service.record_follow_up(session=session, by="sales", data=FollowUpCreate(
        customer_code=customer.code, at=moving_clock.now - timedelta(days=3)))

    assert customer.last_follow_up_at == moving_clock.now


def test_follow_up_on_an_opportunity_counts_for_its_customer(moving_clock: MovableClock, session: Session) -> None:
    customer = make_customer(session)
    opportunity = make_opportunity(session, customer)

    entry = service.record_follow_up(session=session, by="sales", data=FollowUpCreate(
        opportunity_id=opportunity.id, channel=FollowUpChannel.EMAIL))

    assert (entry.customer_id, customer.last_follow_up_at) == (customer.id, moving_clock.now)


def test_follow_up_on_a_new_lead_is_its_first_contact(session: Session) -> None:
    lead = make_lead(session)

    service.record_follow_up(session=session, by="sales", data=FollowUpCreate(lead_id=lead.id))

    assert lead.status == "contacted" and lead.first_contacted_at is not None


def test_follow_up_needs_a_subject(session: Session) -> None:
    with pytest.raises(InvalidInput):
        service.record_follow_up(session=session, by="sales", data=FollowUpCreate(note="hello?"))


def test_customer_without_follow_up_for_90_days_is_inactive(moving_clock: MovableClock, session: Session) -> None:
    quiet = make_customer(session)
    busy = make_customer(session)
    moving_clock.advance(days=80)
    service.record_follow_up(session=session, by="sales", data=FollowUpCreate(customer_code=busy.code))
    moving_clock.advance(days=11)

    inactive = service.find_inactive_customers(session=session, as_of=clock.now(), days=90)

    assert quiet in inactive and busy not in inactive


def test_customer_followed_up_89_days_ago_is_active(moving_clock: MovableClock, session: Session) -> None:
    customer = make_customer(session)
    service.record_follow_up(session=session, by="sales", data=FollowUpCreate(customer_code=customer.code))
    moving_clock.advance(days=89)

    assert customer not in service.find_inactive_customers(session=session, as_of=clock.now())


def test_moving_to_the_pool_clears_the_owner_and_reports_it(moving_clock: MovableClock, session: Session) -> None:
    customer = make_customer(session, owner="sales", sales_team="sales_east")

    moved = service.move_to_shared_pool(session=session, customer_ids=[customer.id])

    assert moved == [(customer, "sales")]
    assert (customer.in_shared_pool, customer.owner, customer.pooled_at) == (True, None, moving_clock.now)


def test_pooled_customer_is_not_inactive_again(moving_clock: MovableClock, session: Session) -> None:
    customer = make_customer(session)
    moving_clock.advance(days=91)
    service.move_to_shared_pool(session=session, customer_ids=[customer.id])

    assert customer not in service.find_inactive_customers(session=session, as_of=clock.now())
    assert service.move_to_shared_pool(session=session, customer_ids=[customer.id]) == []


def test_claiming_from_the_pool_sets_the_new_owner(session: Session) -> None:
    customer = make_customer(session, owner="sales")
    service.move_to_shared_pool(session=session, customer_ids=[customer.id])

    service.claim_from_pool(session=session, customer_id=customer.id, owner="sales2")

    assert (customer.in_shared_pool, customer.owner) == (False, "sales2")


def test_customer_outside_the_pool_cannot_be_claimed(session: Session) -> None:
    with pytest.raises(Conflict):
        service.claim_from_pool(session=session, customer_id=make_customer(session).id, owner="sales2")


def test_qualified_lead_follow_up_counts_for_the_customer(moving_clock: MovableClock, session: Session) -> None:
    lead = make_lead(session)
    opportunity = pipeline.qualify_lead(session=session, lead_id=lead.id)
    moving_clock.advance(days=1)

    service.record_follow_up(session=session, by="sales", data=FollowUpCreate(lead_id=lead.id))

    assert opportunity.customer.last_follow_up_at == moving_clock.now
