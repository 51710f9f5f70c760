"""CRM operations on customers, contacts, follow-ups and the shared pool. Services flush, never commit.

Leads and opportunities live in `domain.crm.pipeline`, the customer import in `domain.crm.importing`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from domain import clock
from domain.crm.models import (
    Contact,
    ContactRole,
    CreditRating,
    Customer,
    CustomerTier,
    FollowUp,
    Lead,
    LeadStatus,
    Opportunity,
)
from domain.crm.schemas import ContactCreate, CustomerCreate, FollowUpCreate
from domain.errors import Conflict, InvalidInput, NotFound

T = TypeVar("T")


def create_customer(*, session: Session, data: CustomerCreate) -> Customer:
    """Add a customer; a code like "C000123" is generated from the id when none is given."""
    if data.code is not None:
        _ensure_code_free(session, data.code)
    # The id is the only counter that is safe under concurrent inserts on every backend, so a generated
    # code is written in a second step; the placeholder keeps the NOT NULL UNIQUE column valid until then.
    customer = Customer(
        code=data.code or f"pending-{uuid.uuid4().hex}",
        name=data.name,
        tier=data.tier,
        credit_rating=data.credit_rating,
        credit_limit=data.credit_limit,
        currency=data.currency,
        payment_terms_days=data.payment_terms_days,
        owner=data.owner,
        region=data.region,
        industry=data.industry,
        sales_team=data.sales_team,
        in_shared_pool=False,
    )
    session.add(customer)
    session.flush()
    if data.code is None:
        code = f"C{customer.id:06d}"
        _ensure_code_free(session, code)
        customer.code = code
        session.flush()
    return customer


def get_customer(*, session: Session, customer_id: int, for_update: bool = False) -> Customer:
    """The customer with this id; for_update locks its row until the transaction ends."""
    query = select(Customer).where(Customer.id == customer_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    customer = session.scalar(query)
    if customer is None:
        raise NotFound(f"customer {customer_id} not found", code="customer_not_found")
    return customer


def get_customer_by_code(*, session: Session, code: str) -> Customer:
    """The customer with this code."""
    customer = session.scalar(select(Customer).where(Customer.code == code))
    if customer is None:
        raise NotFound(f"customer {code!r} not found", code="customer_not_found")
    return customer


def find_customer_by_name(*, session: Session, name: str) -> Customer | None:
    """The customer whose name is name (ignoring case and surrounding spaces), if any."""
    return session.scalars(
        select(Customer).where(func.lower(Customer.name) == name.strip().lower()).order_by(Customer.id).limit(1)
    ).first()


def customer_query(
    *,
    q: str = "",
    owner: str | None = None,
    tier: CustomerTier | None = None,
    credit_rating: CreditRating | None = None,
    region: str | None = None,
    in_shared_pool: bool | None = None,
) -> Select[Customer]:
    """The filtered customers, ordered by code (q matches code or name)."""
    query = select(Customer).order_by(Customer.code)
    if q.strip():
        pattern = f"%{q.strip().lower()}%"
        query = query.where(or_(func.lower(Customer.code).like(pattern), func.lower(Customer.name).like(pattern)))
    if owner:
        query = query.where(Customer.owner == owner)
    if tier is not None:
        query = query.where(Customer.tier == tier)
    if credit_rating is not None:
        query = query.where(Customer.credit_rating == credit_rating)
    if region:
        query = query.where(Customer.region == region)
    if in_shared_pool is not None:
        query = query.where(Customer.in_shared_pool == in_shared_pool)
    return query


def list_customers(
    *,
    session: Session,
    q: str = "",
    owner: str | None = None,
    tier: CustomerTier | None = None,
    credit_rating: CreditRating | None = None,
    region: str | None = None,
    in_shared_pool: bool | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Customer]:
    """Customers ordered by code, filtered by search text, owner, tier, rating, region and pool."""
    query = customer_query(q=q, owner=owner, tier=tier, credit_rating=credit_rating, region=region,
                           in_shared_pool=in_shared_pool)
    return list(session.scalars(query.limit(limit).offset(offset)))


def add_contact(*, session: Session, customer_id: int, data: ContactCreate) -> Contact:
    """Add a contact person to a customer."""
    customer = get_customer(session=session, customer_id=customer_id)
    contact = Contact(customer=customer, name=data.name, title=data.title, email=data.email, phone=data.phone,
                      roles=[role.value for role in data.roles])
    session.add(contact)
    session.flush()
    return contact


def list_contacts(*, session: Session, customer_id: int, role: ContactRole | None = None) -> list[Contact]:
    """A customer's contacts, optionally only those holding role (e.g. who receives the goods)."""
    contacts = session.scalars(select(Contact).where(Contact.customer_id == customer_id).order_by(Contact.id))
    return [c for c in contacts if role is None or role.value in c.roles]


def record_follow_up(*, session: Session, data: FollowUpCreate, by: str) -> FollowUp:
    """Log a follow-up on a customer, lead or opportunity; it moves the customer's last follow-up forward.

    A follow-up on a lead that was never contacted is its first contact.
    """
    at = data.at or clock.now()
    customer = get_customer_by_code(session=session, code=data.customer_code) if data.customer_code else None
    lead = _get(session, Lead, data.lead_id) if data.lead_id is not None else None
    opportunity = _get(session, Opportunity, data.opportunity_id) if data.opportunity_id is not None else None
    if customer is None and lead is None and opportunity is None:
        raise InvalidInput("a follow-up needs a customer, a lead or an opportunity", code="follow_up_without_subject")
    if customer is None:
        customer_id = opportunity.customer_id if opportunity else lead.customer_id if lead else None
        customer = get_customer(session=session, customer_id=customer_id) if customer_id else None
    entry = FollowUp(customer_id=customer.id if customer else None, lead_id=lead.id if lead else None,
                     opportunity_id=opportunity.id if opportunity else None, at=at, by=by, channel=data.channel,
                     note=data.note)
    session.add(entry)
    if lead is not None and lead.first_contacted_at is None:
        lead.first_contacted_at = at
        if lead.status is LeadStatus.NEW:
            lead.status = LeadStatus.CONTACTED
    if customer is not None:
        touch_customer(session=session, customer_id=customer.id, at=at)
    session.flush()
    return entry


def touch_customer(*, session: Session, customer_id: int, at: datetime) -> Customer:
    """Move the customer's last follow-up to at (never backwards)."""
    customer = get_customer(session=session, customer_id=customer_id, for_update=True)
    if customer.last_follow_up_at is None or customer.last_follow_up_at < at:
        customer.last_follow_up_at = at
    session.flush()
    return customer


def list_follow_ups(
    *, session: Session, customer_id: int | None = None, lead_id: int | None = None,
    opportunity_id: int | None = None, limit: int = 100,
) -> list[FollowUp]:
    """Follow-ups, newest first, of one customer, lead or opportunity."""
    query = select(FollowUp).order_by(FollowUp.at.desc(), FollowUp.id.desc()).limit(limit)
    if customer_id is not None:
        query = query.where(FollowUp.customer_id == customer_id)
    if lead_id is not None:
        query = query.where(FollowUp.lead_id == lead_id)
    if opportunity_id is not None:
        query = query.where(FollowUp.opportunity_id == opportunity_id)
    return list(session.scalars(query))


def find_inactive_customers(*, session: Session, as_of: datetime, days: int = 90) -> list[Customer]:
    """Customers outside the shared pool without a follow-up for days (never followed up: since created)."""
    if days < 1:
        raise InvalidInput("days must be at least 1")
    cutoff = as_of - timedelta(days=days)
    query = select(Customer).where(
        Customer.in_shared_pool.is_(False),
        or_(Customer.last_follow_up_at < cutoff,
            and_(Customer.last_follow_up_at.is_(None), Customer.created_at < cutoff)),
    ).order_by(Customer.id)
    return list(session.scalars(query))


def move_to_shared_pool(*, session: Session, customer_ids: Sequence[int], at: datetime | None = None
                        ) -> list[tuple[Customer, str | None]]:
    """Put customers into the shared pool (their owner is cleared); returns (customer, previous owner) pairs.

    Rows are locked in id order, so two runs of the rule cannot deadlock; customers already pooled are skipped.
    """
    moved: list[tuple[Customer, str | None]] = []
    when = at or clock.now()
    for customer_id in sorted(set(customer_ids)):
        customer = get_customer(session=session, customer_id=customer_id, for_update=True)
        if customer.in_shared_pool:
            continue
        moved.append((customer, customer.owner))
        customer.in_shared_pool, customer.pooled_at, customer.owner = True, when, None
    session.flush()
    return moved


def claim_from_pool(*, session: Session, customer_id: int, owner: str) -> Customer:
    """A sales rep takes a customer out of the shared pool; a customer someone else owns is a conflict."""
    customer = get_customer(session=session, customer_id=customer_id, for_update=True)
    if not customer.in_shared_pool:
        raise Conflict(f"customer {customer.code} is not in the shared pool", code="customer_not_pooled")
    customer.in_shared_pool, customer.pooled_at, customer.owner = False, None, owner
    # Claiming counts as activity: without it the rule would pool the customer again at its next run.
    customer.last_follow_up_at = clock.now()
    session.flush()
    return customer


def _get(session: Session, model: type[T], id_: int) -> T:
    row = session.get(model, id_)
    if row is None:
        raise NotFound(f"{model.__name__.lower()} {id_} not found", code=f"{model.__name__.lower()}_not_found")
    return row


def _ensure_code_free(session: Session, code: str) -> None:
    if session.scalar(select(Customer.id).where(Customer.code == code)) is not None:
        raise Conflict(f"customer code {code!r} is already taken", code="customer_code_taken")
