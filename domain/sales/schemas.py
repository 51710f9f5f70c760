"""Sales input and output shapes (pydantic)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from domain.sales.models import OrderStatus, QuoteStatus


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


DiscountPct = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]


class QuoteLineCreate(BaseModel):
    """A quote line: the price is the item's list price at quoting time; the discount is an input."""

    item_sku: Annotated[str, Field(min_length=1, max_length=64)]
    quantity: Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=3)]
    discount_pct: DiscountPct = Decimal("0")


class QuoteCreate(BaseModel):
    customer_code: Annotated[str, Field(min_length=1)]
    lines: Annotated[list[QuoteLineCreate], Field(min_length=1)]
    valid_until: date | None = None
    valid_days: Annotated[int, Field(ge=1, le=365)] = 30
    opportunity_id: int | None = None
    business_key: Annotated[str, Field(max_length=128)] | None = None
    note: Annotated[str, Field(max_length=4000)] | None = None


class QuoteLineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    item_id: int
    quantity: Decimal
    list_price: Decimal
    unit_cost: Decimal
    discount_pct: Decimal
    net_amount: Decimal


class QuoteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    customer_id: int
    opportunity_id: int | None
    currency: str
    status: QuoteStatus
    valid_until: date
    list_total: Decimal
    total: Decimal
    discount_amount: Decimal
    margin_amount: Decimal
    margin_pct: Decimal
    business_key: str | None
    sales_order_id: int | None
    created_at: datetime
    created_by: str
    sent_at: datetime | None
    answered_at: datetime | None
    lines: list[QuoteLineRead]
