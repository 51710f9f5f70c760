"""Sales input and output shapes (pydantic)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from domain.sales.models import OrderStatus


class SalesOrderLineCreate(BaseModel):
    item_sku: Annotated[str, Field(min_length=1, max_length=64)]
    quantity: Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=3)]
    unit_price: Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2)]
    discount_pct: Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)] = Decimal("0")


class SalesOrderLineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    item_id: int
    quantity: Decimal
    unit_price: Decimal
    discount_pct: Decimal
    net_amount: Decimal
    delivered_qty: Decimal
    invoiced_qty: Decimal


class SalesOrderRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    customer_id: int
    currency: str
    status: OrderStatus
    total: Decimal
    business_key: str | None
    created_at: datetime
    created_by: str
    lines: list[SalesOrderLineRead]
