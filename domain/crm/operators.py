"""CRM operations that service tasks may call (collected by the engine's registry)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from domain import clock
from domain.crm import pipeline, service
from domain.crm.models import Customer, FollowUpChannel, Lead, Opportunity, OpportunityStage
from domain.crm.schemas import FollowUpCreate, LeadCreate
from domain.operators import Operator

# Service tasks run on behalf of the process, not a person, unless the diagram passes one.
ACTOR = "system"
Name = Annotated[str, Field(min_length=1, max_length=64)]


class GetCustomerParams(BaseModel):
    customer_code: str = Field(min_length=1)


class LeadParams(BaseModel):
    lead_id: int = Field(gt=0)


class AssignLeadParams(LeadParams):
    owner: Name


class FirstContactParams(LeadParams):
    by: Name = ACTOR
    note: str = ""


class FollowUpParams(BaseModel):
    customer_code: str | None = None
    lead_id: int | None = None
    opportunity_id: int | None = None
    by: Name = ACTOR
    channel: FollowUpChannel = FollowUpChannel.PHONE
    note: Annotated[str, Field(max_length=4000)] = ""


class QualifyLeadParams(LeadParams):
    title: Annotated[str, Field(max_length=200)] | None = None
    amount: Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2)] = Decimal("0.00")
    expected_close: date | None = None
    customer_code: str | None = None


class DisqualifyLeadParams(LeadParams):
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class MoveStageParams(BaseModel):
    opportunity_id: int = Field(gt=0)
    stage: OpportunityStage
    probability: Annotated[int, Field(ge=0, le=100)] | None = None
    amount: Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2)] | None = None
    lost_reason: str | None = None


class InactiveParams(BaseModel):
    days: Annotated[int, Field(ge=1, le=3650)] = 90


class MoveToPoolParams(BaseModel):
    customer_codes: list[str] | None = None  # None: every customer inactive for `days`
    days: Annotated[int, Field(ge=1, le=3650)] = 90


def get_customer(*, session: Session, customer_code: str) -> dict[str, Any]:
    """The customer's terms, for credit checks and order creation in a process."""
    customer = service.get_customer_by_code(session=session, code=customer_code)
    return {
        "id": customer.id,
        "code": customer.code,
        "name": customer.name,
        "tier": customer.tier.value,
        "credit_limit": customer.credit_limit,
        "currency": customer.currency,
        "payment_terms_days": customer.payment_terms_days,
        "credit_rating": customer.credit_rating.value,
        "weak_credit": customer.weak_credit,
        "owner": customer.owner,
        "region": customer.region,
        "industry": customer.industry,
        "sales_team": customer.sales_team,
    }


def create_lead(*, session: Session, **fields: Any) -> dict[str, Any]:
    """Capture a lead from the start form; region and industry feed the assignment decision."""
    return _lead(pipeline.create_lead(session=session, data=LeadCreate(**fields)))


def assign_lead(*, session: Session, lead_id: int, owner: str) -> dict[str, Any]:
    """Give the lead to the rep the assignment decision picked."""
    return _lead(pipeline.assign_lead(session=session, lead_id=lead_id, owner=owner))


def record_first_contact(*, session: Session, lead_id: int, by: str, note: str) -> dict[str, Any]:
    """Log the first contact; the result says how long it took (the 2-hour rule)."""
    lead = pipeline.record_first_contact(session=session, lead_id=lead_id, by=by, note=note)
    return _lead(lead)


def record_follow_up(*, session: Session, by: str, **fields: Any) -> dict[str, Any]:
    """Log a follow-up on a customer, lead or opportunity (moves the customer's last follow-up)."""
    entry = service.record_follow_up(session=session, data=FollowUpCreate(**fields), by=by)
    return {"follow_up_id": entry.id, "customer_id": entry.customer_id, "lead_id": entry.lead_id,
            "opportunity_id": entry.opportunity_id, "at": entry.at.isoformat()}


def qualify_lead(*, session: Session, lead_id: int, title: str | None, amount: Decimal,
                 expected_close: date | None, customer_code: str | None) -> dict[str, Any]:
    """Turn the lead into an opportunity, creating the customer when the company is new."""
    opportunity = pipeline.qualify_lead(session=session, lead_id=lead_id, title=title, amount=amount,
                                        expected_close=expected_close, customer_code=customer_code)
    return _opportunity(opportunity) | {"lead_id": lead_id}


def disqualify_lead(*, session: Session, lead_id: int, reason: str) -> dict[str, Any]:
    """Close the lead as not worth pursuing."""
    return _lead(pipeline.disqualify_lead(session=session, lead_id=lead_id, reason=reason))


def move_opportunity_stage(*, session: Session, opportunity_id: int, stage: OpportunityStage,
                           probability: int | None, amount: Decimal | None, lost_reason: str | None
                           ) -> dict[str, Any]:
    """Move an opportunity (won converts its lead; lost needs a reason)."""
    return _opportunity(pipeline.move_stage(session=session, opportunity_id=opportunity_id, stage=stage,
                                            probability=probability, amount=amount, lost_reason=lost_reason))


def find_inactive_customers(*, session: Session, days: int) -> dict[str, Any]:
    """Customers without a follow-up for `days`, for the scheduled inactive-customers rule."""
    customers = service.find_inactive_customers(session=session, as_of=clock.now(), days=days)
    return {"count": len(customers), "customers": [_pool_entry(c, c.owner) for c in customers],
            "customer_codes": [c.code for c in customers]}


def move_to_shared_pool(*, session: Session, customer_codes: list[str] | None, days: int) -> dict[str, Any]:
    """Move customers (by default all inactive ones) to the shared pool; `teams` lists whom to give a task."""
    now = clock.now()
    if customer_codes is None:
        ids = [c.id for c in service.find_inactive_customers(session=session, as_of=now, days=days)]
    else:
        ids = [service.get_customer_by_code(session=session, code=code).id for code in customer_codes]
    moved = service.move_to_shared_pool(session=session, customer_ids=ids, at=now)
    entries = [_pool_entry(customer, owner) for customer, owner in moved]
    return {"count": len(entries), "customers": entries,
            "teams": sorted({e["sales_team"] for e in entries if e["sales_team"]})}


def _pool_entry(customer: Customer, owner: str | None) -> dict[str, Any]:
    last = customer.last_follow_up_at
    return {"code": customer.code, "name": customer.name, "owner": owner, "sales_team": customer.sales_team,
            "last_follow_up_at": last.isoformat() if last else None}


def _lead(lead: Lead) -> dict[str, Any]:
    contacted = lead.first_contacted_at
    minutes = int((contacted - lead.created_at).total_seconds() // 60) if contacted else None
    return {"lead_id": lead.id, "status": lead.status.value, "owner": lead.owner, "source": lead.source,
            "company": lead.company, "region": lead.region or "", "industry": lead.industry or "",
            "first_contact_minutes": minutes, "customer_id": lead.customer_id}


def _opportunity(opportunity: Opportunity) -> dict[str, Any]:
    return {"opportunity_id": opportunity.id, "customer_code": opportunity.customer.code,
            "customer_id": opportunity.customer_id, "stage": opportunity.stage.value,
            "amount": opportunity.amount, "probability": opportunity.probability,
            "weighted_amount": opportunity.weighted_amount, "owner": opportunity.owner}


OPERATORS: list[Operator] = [
    Operator(name="crm.get_customer", func=get_customer, params=GetCustomerParams,
             description="Look up a customer by code: tier, credit rating, credit limit, currency and payment terms."),
    Operator(name="crm.create_lead", func=create_lead, params=LeadCreate,
             description="Capture a lead (source, company, contact, region, industry); status new."),
    Operator(name="crm.assign_lead", func=assign_lead, params=AssignLeadParams,
             description="Assign a lead to a sales rep."),
    Operator(name="crm.record_first_contact", func=record_first_contact, params=FirstContactParams,
             description="Log the first contact with a lead (new -> contacted) and how many minutes it took."),
    Operator(name="crm.record_follow_up", func=record_follow_up, params=FollowUpParams,
             description="Log a follow-up on a customer, lead or opportunity; updates the customer's last follow-up."),
    Operator(name="crm.qualify_lead", func=qualify_lead, params=QualifyLeadParams,
             description="Qualify a lead into an opportunity, creating the customer when the company is new."),
    Operator(name="crm.disqualify_lead", func=disqualify_lead, params=DisqualifyLeadParams,
             description="Disqualify a lead with a reason."),
    Operator(name="crm.move_opportunity_stage", func=move_opportunity_stage, params=MoveStageParams,
             description="Move an opportunity to a stage (qualification, proposal, negotiation, won, lost)."),
    Operator(name="crm.find_inactive_customers", func=find_inactive_customers, params=InactiveParams,
             description="Customers without a follow-up for N days (default 90), outside the shared pool."),
    Operator(name="crm.move_to_shared_pool", func=move_to_shared_pool, params=MoveToPoolParams,
             description="Move the given (default: all inactive) customers to the shared pool; lists their teams."),
]
