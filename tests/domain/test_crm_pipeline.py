"""Leads and opportunities: assignment, first contact, qualification into customer + opportunity, stages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from domain.crm import pipeline, service
from domain.crm.models import LeadStatus, OpportunityStage
from domain.errors import Conflict, InvalidInput
from tests.conftest import MovableClock
from tests.factories import make_customer
from tests.factories_crm import make_lead, make_opportunity


def test_new_lead_is_new_and_unassigned(session: Session) -> None:
    lead = make_lead(session)

    assert (lead.status, lead.owner, lead.assigned_at) == (LeadStatus.NEW, None, None)


def test_assigning_a_lead_sets_owner_and_time(moving_clock: MovableClock, session: Session) -> None:
    lead = make_lead(session)

    pipeline.assign_lead(session=session, lead_id=lead.id, owner="sales")

    assert (lead.owner, lead.assigned_at) == ("sales", moving_clock.now)


def test_first_contact_moves_lead_to_contacted(moving_clock: MovableClock, session: Session) -> None:
    lead = make_lead(session)
    moving_clock.advance(minutes=95)

    pipeline.record_first_contact(session=session, lead_id=lead.id, by="sales", note="called")

    assert (lead.status, lead.first_contacted_at) == (LeadStatus.CONTACTED, moving_clock.now)


def test_second_contact_keeps_the_first_contact_time(moving_clock: MovableClock, session: Session) -> None:
    lead = make_lead(session)
    pipeline.record_first_contact(session=session, lead_id=lead.id, by="sales")
    first = lead.first_contacted_at
    moving_clock.advance(hours=3)

    pipeline.record_first_contact(session=session, lead_id=lead.id, by="sales")

    assert lead.first_contacted_at == first
    assert len(service.list_follow_ups(session=session, lead_id=lead.id)) == 2


def test_qualifying_a_lead_of_a_new_company_creates_customer_contact_and_opportunity(session: Session) -> None:
    lead = make_lead(session, company="Brand New Chemicals Ltd", owner="sales", email="wu@example.com")

    opportunity = pipeline.qualify_lead(session=session, lead_id=lead.id, amount=Decimal("52000.00"),
                                        expected_close=date(2026, 12, 31))

    customer = opportunity.customer
    assert (customer.name, customer.region, customer.owner) == ("Brand New Chemicals Ltd", "east", "sales")
    assert [(c.name, c.email, c.roles) for c in customer.contacts] == [("Ms. Wu", "wu@example.com",
                                                                        ["decision_maker"])]
    assert (lead.status, lead.customer_id, lead.opportunity) == (LeadStatus.QUALIFIED, customer.id, opportunity)
    assert (opportunity.stage, opportunity.amount, opportunity.lead_id) == (
        OpportunityStage.QUALIFICATION, Decimal("52000.00"), lead.id)


def test_qualifying_a_lead_of_a_known_company_reuses_the_customer(session: Session) -> None:
    customer = make_customer(session, name="Known Pumps Co")
    lead = make_lead(session, company="  known pumps co ")

    opportunity = pipeline.qualify_lead(session=session, lead_id=lead.id)

    assert opportunity.customer_id == customer.id


def test_qualifying_twice_returns_the_same_opportunity(session: Session) -> None:
    lead = make_lead(session)
    first = pipeline.qualify_lead(session=session, lead_id=lead.id)

    assert pipeline.qualify_lead(session=session, lead_id=lead.id) is first


def test_disqualified_lead_cannot_be_qualified(session: Session) -> None:
    lead = make_lead(session)
    pipeline.disqualify_lead(session=session, lead_id=lead.id, reason="no budget")

    with pytest.raises(Conflict):
        pipeline.qualify_lead(session=session, lead_id=lead.id)


def test_disqualifying_needs_a_reason(session: Session) -> None:
    with pytest.raises(InvalidInput):
        pipeline.disqualify_lead(session=session, lead_id=make_lead(session).id, reason=" ")


def test_closed_lead_cannot_be_reassigned(session: Session) -> None:
    lead = make_lead(session)
    pipeline.disqualify_lead(session=session, lead_id=lead.id, reason="duplicate")

    with pytest.raises(Conflict):
        pipeline.assign_lead(session=session, lead_id=lead.id, owner="sales")


def test_stage_sets_its_default_probability_and_weighted_amount(session: Session) -> None:
    opportunity = make_opportunity(session, make_customer(session), amount=Decimal("12345.67"))

    pipeline.move_stage(session=session, opportunity_id=opportunity.id, stage=OpportunityStage.NEGOTIATION)

    assert (opportunity.probability, opportunity.weighted_amount) == (70, Decimal("8641.97"))


def test_won_opportunity_converts_its_lead(session: Session) -> None:
    lead = make_lead(session)
    opportunity = pipeline.qualify_lead(session=session, lead_id=lead.id)

    pipeline.mark_won(session=session, opportunity_id=opportunity.id)

    assert (opportunity.stage, opportunity.probability, lead.status) == (
        OpportunityStage.WON, 100, LeadStatus.CONVERTED)
    assert opportunity.closed_at is not None


def test_lost_opportunity_keeps_the_reason(session: Session) -> None:
    opportunity = make_opportunity(session, make_customer(session))

    pipeline.mark_lost(session=session, opportunity_id=opportunity.id, reason="price")

    assert (opportunity.stage, opportunity.probability, opportunity.lost_reason) == (OpportunityStage.LOST, 0, "price")


def test_closed_opportunity_does_not_move_again(session: Session) -> None:
    opportunity = make_opportunity(session, make_customer(session))
    pipeline.mark_lost(session=session, opportunity_id=opportunity.id, reason="price")

    with pytest.raises(Conflict):
        pipeline.move_stage(session=session, opportunity_id=opportunity.id, stage=OpportunityStage.PROPOSAL)


def test_list_leads_filters_by_status_owner_and_region(session: Session) -> None:
    mine = make_lead(session, owner="rep-x", region="west-x")
    make_lead(session, owner="rep-x", region="east-x")
    pipeline.disqualify_lead(session=session, lead_id=make_lead(session, owner="rep-x", region="west-x").id,
                             reason="spam")

    found = pipeline.list_leads(session=session, status=LeadStatus.NEW, owner="rep-x", region="west-x")

    assert found == [mine]


def test_list_opportunities_filters_by_stage_and_owner(session: Session) -> None:
    customer = make_customer(session)
    won = make_opportunity(session, customer, owner="rep-y")
    make_opportunity(session, customer, owner="rep-y")
    pipeline.mark_won(session=session, opportunity_id=won.id)

    assert pipeline.list_opportunities(session=session, stage=OpportunityStage.WON, owner="rep-y") == [won]
