"""CRM operations: create and find customers. Services flush, never commit."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.crm.models import Customer, CustomerTier
from domain.crm.schemas import CustomerCreate
from domain.errors import Conflict, NotFound


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
        credit_limit=data.credit_limit,
        currency=data.currency,
        payment_terms_days=data.payment_terms_days,
        owner=data.owner,
    )
    session.add(customer)
    session.flush()
    if data.code is None:
        code = f"C{customer.id:06d}"
        _ensure_code_free(session, code)
        customer.code = code
        session.flush()
    return customer


def get_customer(*, session: Session, customer_id: int) -> Customer:
    """The customer with this id."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id} not found")
    return customer


def get_customer_by_code(*, session: Session, code: str) -> Customer:
    """The customer with this code."""
    customer = session.scalar(select(Customer).where(Customer.code == code))
    if customer is None:
        raise NotFound(f"customer {code!r} not found")
    return customer


def list_customers(
    *,
    session: Session,
    owner: str | None = None,
    tier: CustomerTier | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Customer]:
    """Customers ordered by code, optionally only one owner's or one tier's."""
    query = select(Customer).order_by(Customer.code).limit(limit).offset(offset)
    if owner is not None:
        query = query.where(Customer.owner == owner)
    if tier is not None:
        query = query.where(Customer.tier == tier)
    return list(session.scalars(query))


def _ensure_code_free(session: Session, code: str) -> None:
    if session.scalar(select(Customer.id).where(Customer.code == code)) is not None:
        raise Conflict(f"customer code {code!r} is already taken")
