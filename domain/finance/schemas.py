"""Finance input and output shapes (pydantic)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from domain.finance.models import InvoiceStatus

PaymentAmount = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=2)]


class InvoiceLineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    sales_order_line_id: int | None
    description: str
    quantity: Decimal
    unit_price: Decimal
    discount_pct: Decimal
    amount: Decimal


class PaymentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    invoice_id: int
    amount: Decimal
    paid_on: date
    reference: str


class InvoiceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    customer_id: int
    sales_order_id: int | None
    currency: str
    issue_date: date
    due_date: date
    total: Decimal
    open_amount: Decimal
    status: InvoiceStatus
    lines: list[InvoiceLineRead]
    payments: list[PaymentRead]
