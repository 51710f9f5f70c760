"""Sales operations that service tasks may call (collected by the engine's registry)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from domain.operators import Operator
from domain.sales import service
from domain.sales.models import SalesOrder
from domain.sales.schemas import SalesOrderLineCreate

# Service tasks run on behalf of the process, not a person; the engine does not pass a user.
ACTOR = "system"


class CreateSalesOrderParams(BaseModel):
    customer_code: str = Field(min_length=1)
    lines: list[SalesOrderLineCreate] = Field(min_length=1)
    business_key: str | None = None


class OrderParams(BaseModel):
    order_id: int = Field(gt=0)


def create_sales_order(
    *, session: Session, customer_code: str, lines: list[dict[str, Any]], business_key: str | None = None
) -> dict[str, Any]:
    """Create an order; lines arrive as the dumped dicts of SalesOrderLineCreate."""
    order = service.create_sales_order(
        session=session,
        customer_code=customer_code,
        lines=[SalesOrderLineCreate.model_validate(line) for line in lines],
        business_key=business_key,
        actor=ACTOR,
    )
    return _summary(order)


def confirm_order(*, session: Session, order_id: int) -> dict[str, Any]:
    """Confirm an order (after a credit check or approval)."""
    return _summary(service.confirm_order(session=session, order_id=order_id))


def _summary(order: SalesOrder) -> dict[str, Any]:
    return {
        "id": order.id,
        "number": order.number,
        "total": order.total,
        "currency": order.currency,
        "line_count": len(order.lines),
        "status": order.status.value,
    }


OPERATORS: list[Operator] = [
    Operator(
        name="sales.create_sales_order",
        func=create_sales_order,
        params=CreateSalesOrderParams,
        description="Create a draft sales order for a customer from item skus, quantities and prices.",
    ),
    Operator(
        name="sales.confirm_order",
        func=confirm_order,
        params=OrderParams,
        description="Confirm a sales order (draft -> confirmed), e.g. after the credit check.",
    ),
]
