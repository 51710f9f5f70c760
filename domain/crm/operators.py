"""CRM operations that service tasks may call (collected by the engine's registry)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from domain.crm import service
from domain.operators import Operator


class GetCustomerParams(BaseModel):
    customer_code: str = Field(min_length=1)


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
    }


OPERATORS: list[Operator] = [
    Operator(
        name="crm.get_customer",
        func=get_customer,
        params=GetCustomerParams,
        description="Look up a customer by code: tier, credit limit, currency and payment terms.",
    ),
]
