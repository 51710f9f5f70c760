"""Leads and opportunities: capture, assign, first contact, qualify (-> customer + opportunity), stages, won/lost."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from domain import clock
from domain.crm.models import (
    CLOSED_STAGES,
    ContactRole,
    Customer,
    Lead,
    LeadStatus,
    Opportunity,
    OpportunityStage,
)
from domain.crm.schemas import ContactCreate, CustomerCreate, FollowUpCreate, LeadCreate, OpportunityCreate
from domain.crm.service import (
    add_contact,
    create_customer,
    find_customer_by_name,
    get_customer,
    get_customer_by_code,
    record_follow_up,
)
from domain.errors import Conflict, InvalidInput, NotFound

# The probability a stage implies when none is given.
STAGE_PROBABILITY = {
    OpportunityStage.QUALIFICATION: 10,
    OpportunityStage.PROPOSAL: 40,
    OpportunityStage.NEGOTIATION: 70,
    OpportunityStage.WON: 100,
    OpportunityStage.LOST: 0,
}
OPEN_LEAD_STATUSES = (LeadStatus.NEW, LeadStatus.CONTACTED)


def create_lead(*, session: Session, data: LeadCreate) -> Lead:
    """Capture a lead (status new); an owner given here counts as its assignment."""
    lead = Lead(**data.model_dump(), status=LeadStatus.NEW, assigned_at=clock.now() if data.owner else None)
    session.add(lead)
    session.flush()
    return lead


def get_lead(*, session: Session, lead_id: int, for_update: bool = False) -> Lead:
    """The lead with this id; for_update locks its row until the transaction ends."""
    query = select(Lead).where(Lead.id == lead_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    lead = session.scalar(query)
    if lead is None:
        raise NotFound(f"lead {lead_id} not found", code="lead_not_found")
    return lead


def lead_query(*, q: str = "", status: LeadStatus | None = None, owner: str | None = None,
               region: str | None = None) -> Select[Lead]:
    """The filtered leads, newest first (q matches company or contact name)."""
    query = select(Lead).order_by(Lead.created_at.desc(), Lead.id.desc())
    if q.strip():
        pattern = f"%{q.strip().lower()}%"
        query = query.where(or_(func.lower(Lead.company).like(pattern), func.lower(Lead.contact_name).like(pattern)))
    if status is not None:
        query = query.where(Lead.status == status)
    if owner:
        query = query.where(Lead.owner == owner)
    if region:
        query = query.where(Lead.region == region)
    return query


def list_leads(*, session: Session, q: str = "", status: LeadStatus | None = None, owner: str | None = None,
               region: str | None = None, limit: int = 100, offset: int = 0) -> list[Lead]:
    """Leads, newest first, filtered by search text, status, owner and region."""
    query = lead_query(q=q, status=status, owner=owner, region=region)
    return list(session.scalars(query.limit(limit).offset(offset)))


def assign_lead(*, session: Session, lead_id: int, owner: str) -> Lead:
    """Give an open lead to a sales rep (reassigning is allowed until it is qualified or disqualified)."""
    lead = get_lead(session=session, lead_id=lead_id, for_update=True)
    if lead.status not in OPEN_LEAD_STATUSES:
        raise Conflict(f"lead {lead.id} is {lead.status.value} and can no longer be assigned", code="lead_closed")
    if lead.owner != owner:
        lead.owner, lead.assigned_at = owner, clock.now()
    session.flush()
    return lead


def record_first_contact(*, session: Session, lead_id: int, by: str, note: str = "",
                         at: datetime | None = None) -> Lead:
    """Log the first contact with a lead (new -> contacted); a later call only logs another follow-up."""
    get_lead(session=session, lead_id=lead_id, for_update=True)
    record_follow_up(session=session, data=FollowUpCreate(lead_id=lead_id, note=note, at=at), by=by)
    return get_lead(session=session, lead_id=lead_id)


def qualify_lead(*, session: Session, lead_id: int, title: str | None = None, amount: Decimal = Decimal("0.00"),
                 expected_close: date | None = None, customer_code: str | None = None) -> Opportunity:
    """Qualify an open lead into an opportunity, creating the customer (and its contact) when the company is new.

    The customer is the one named by customer_code, else one with the lead's company name, else a new one.
    Qualifying a lead twice returns its opportunity.
    """
    lead = get_lead(session=session, lead_id=lead_id, for_update=True)
    if lead.status is LeadStatus.QUALIFIED and lead.opportunity is not None:
        return lead.opportunity
    if lead.status not in OPEN_LEAD_STATUSES:
        raise Conflict(f"lead {lead.id} is {lead.status.value} and cannot be qualified", code="lead_closed")
    if customer_code:
        customer = get_customer_by_code(session=session, code=customer_code)
    elif lead.customer_id is not None:
        customer = get_customer(session=session, customer_id=lead.customer_id)
    else:
        customer = find_customer_by_name(session=session, name=lead.company) or _customer_from_lead(session, lead)
    opportunity = Opportunity(
        customer_id=customer.id, lead_id=lead.id, title=title or lead.company, amount=amount,
        currency=customer.currency, stage=OpportunityStage.QUALIFICATION,
        probability=STAGE_PROBABILITY[OpportunityStage.QUALIFICATION], expected_close=expected_close,
        owner=lead.owner or customer.owner,
    )
    session.add(opportunity)
    lead.customer_id, lead.status = customer.id, LeadStatus.QUALIFIED
    session.flush()
    session.refresh(lead, ["opportunity"])
    return opportunity


def disqualify_lead(*, session: Session, lead_id: int, reason: str) -> Lead:
    """Close an open lead as not worth pursuing, with the reason."""
    if not reason.strip():
        raise InvalidInput("a reason is required to disqualify a lead", code="reason_required")
    lead = get_lead(session=session, lead_id=lead_id, for_update=True)
    if lead.status not in OPEN_LEAD_STATUSES:
        raise Conflict(f"lead {lead.id} is {lead.status.value} and cannot be disqualified", code="lead_closed")
    lead.status, lead.disqualified_reason = LeadStatus.DISQUALIFIED, reason.strip()[:500]
    session.flush()
    return lead


def create_opportunity(*, session: Session, data: OpportunityCreate) -> Opportunity:
    """Open an opportunity for an existing customer (without a lead)."""
    customer = get_customer_by_code(session=session, code=data.customer_code)
    opportunity = Opportunity(
        customer_id=customer.id, title=data.title, amount=data.amount, currency=customer.currency,
        stage=OpportunityStage.QUALIFICATION,
        probability=data.probability if data.probability is not None
        else STAGE_PROBABILITY[OpportunityStage.QUALIFICATION],
        expected_close=data.expected_close, owner=data.owner or customer.owner,
    )
    session.add(opportunity)
    session.flush()
    return opportunity


def get_opportunity(*, session: Session, opportunity_id: int, for_update: bool = False) -> Opportunity:
    """The opportunity with this id; for_update locks its row until the transaction ends."""
    query = select(Opportunity).where(Opportunity.id == opportunity_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    opportunity = session.scalar(query)
    if opportunity is None:
        raise NotFound(f"opportunity {opportunity_id} not found", code="opportunity_not_found")
    return opportunity


def opportunity_query(*, q: str = "", stage: OpportunityStage | None = None, owner: str | None = None,
                      customer_id: int | None = None) -> Select[Opportunity]:
    """The filtered opportunities, newest first (q matches the title)."""
    query = select(Opportunity).order_by(Opportunity.created_at.desc(), Opportunity.id.desc())
    if q.strip():
        query = query.where(func.lower(Opportunity.title).like(f"%{q.strip().lower()}%"))
    if stage is not None:
        query = query.where(Opportunity.stage == stage)
    if owner:
        query = query.where(Opportunity.owner == owner)
    if customer_id is not None:
        query = query.where(Opportunity.customer_id == customer_id)
    return query


def list_opportunities(*, session: Session, q: str = "", stage: OpportunityStage | None = None,
                       owner: str | None = None, customer_id: int | None = None, limit: int = 100,
                       offset: int = 0) -> list[Opportunity]:
    """Opportunities, newest first, filtered by title, stage, owner and customer."""
    query = opportunity_query(q=q, stage=stage, owner=owner, customer_id=customer_id)
    return list(session.scalars(query.limit(limit).offset(offset)))


def move_stage(*, session: Session, opportunity_id: int, stage: OpportunityStage, probability: int | None = None,
               amount: Decimal | None = None, lost_reason: str | None = None) -> Opportunity:
    """Move an open opportunity to a stage; the probability follows the stage unless given.

    Won converts its lead; lost needs a reason. A closed opportunity does not move again.
    """
    opportunity = get_opportunity(session=session, opportunity_id=opportunity_id, for_update=True)
    if opportunity.stage is stage and stage in CLOSED_STAGES:
        return opportunity  # a retried "won"/"lost" step changes nothing
    if not opportunity.is_open:
        raise Conflict(f"opportunity {opportunity.id} is already {opportunity.stage.value}", code="opportunity_closed")
    if probability is not None and not 0 <= probability <= 100:
        raise InvalidInput("probability must be between 0 and 100")
    if stage is OpportunityStage.LOST and not (lost_reason or "").strip():
        raise InvalidInput("a reason is required to mark an opportunity lost", code="reason_required")
    if amount is not None:
        if amount < 0:
            raise InvalidInput("amount must not be negative")
        opportunity.amount = amount
    opportunity.stage = stage
    opportunity.probability = STAGE_PROBABILITY[stage] if probability is None or stage in CLOSED_STAGES \
        else probability
    if stage in CLOSED_STAGES:
        opportunity.closed_at = clock.now()
        if stage is OpportunityStage.LOST:
            opportunity.lost_reason = (lost_reason or "").strip()[:500]
        if stage is OpportunityStage.WON and opportunity.lead_id is not None:
            lead = get_lead(session=session, lead_id=opportunity.lead_id, for_update=True)
            lead.status = LeadStatus.CONVERTED
    session.flush()
    return opportunity


def mark_won(*, session: Session, opportunity_id: int, amount: Decimal | None = None) -> Opportunity:
    """Close an opportunity as won (probability 100); its lead becomes converted."""
    return move_stage(session=session, opportunity_id=opportunity_id, stage=OpportunityStage.WON, amount=amount)


def mark_lost(*, session: Session, opportunity_id: int, reason: str) -> Opportunity:
    """Close an opportunity as lost (probability 0) with the reason."""
    return move_stage(session=session, opportunity_id=opportunity_id, stage=OpportunityStage.LOST,
                      lost_reason=reason)


def _customer_from_lead(session: Session, lead: Lead) -> Customer:
    customer = create_customer(session=session, data=CustomerCreate(
        name=lead.company, region=lead.region, industry=lead.industry, owner=lead.owner))
    if lead.contact_name:
        add_contact(session=session, customer_id=customer.id, data=ContactCreate(
            name=lead.contact_name, email=lead.email, phone=lead.phone, roles=[ContactRole.DECISION_MAKER]))
    return customer
