"""Finance input and output shapes (pydantic)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from domain.finance.models import InvoiceStatus, PaymentMethod

PaymentAmount = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=2)]
Reference = Annotated[str, Field(max_length=100)]


class InvoiceLineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    sales_order_line_id: int | None
    description: str
    quantity: Decimal
    unit_price: Decimal
    discount_pct: Decimal
    amount: Decimal


class AllocationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    payment_id: int
    invoice_id: int
    amount: Decimal
    allocated_on: date


class CreditApplicationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    credit_note_id: int
    invoice_id: int
    amount: Decimal
    applied_on: date


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
    paid_amount: Decimal
    credited_amount: Decimal
    open_amount: Decimal
    status: InvoiceStatus
    lines: list[InvoiceLineRead]
    allocations: list[AllocationRead]
    credit_applications: list[CreditApplicationRead]


class PaymentCreate(BaseModel):
    customer_id: int = Field(gt=0)
    amount: PaymentAmount
    paid_on: date
    reference: Reference = ""
    method: PaymentMethod = PaymentMethod.BANK_TRANSFER


class AllocationCreate(BaseModel):
    invoice_id: int = Field(gt=0)
    amount: PaymentAmount | None = None  # None: as much as the payment and the invoice allow


class PaymentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    customer_id: int
    amount: Decimal
    currency: str
    paid_on: date
    reference: str
    method: PaymentMethod
    allocated_amount: Decimal
    unallocated_amount: Decimal
    allocations: list[AllocationRead]


class CreditNoteLineCreate(BaseModel):
    description: Annotated[str, Field(min_length=1, max_length=200)]
    quantity: Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=3)]
    unit_price: PaymentAmount


class CreditNoteCreate(BaseModel):
    """Either lines or an amount; with an invoice (or an order) the credit is applied to it at once."""

    customer_id: int = Field(gt=0)
    reason: Annotated[str, Field(min_length=1, max_length=500)]
    amount: PaymentAmount | None = None
    lines: list[CreditNoteLineCreate] = Field(default_factory=list)
    invoice_id: int | None = Field(default=None, gt=0)
    sales_order_id: int | None = Field(default=None, gt=0)
    issue_date: date | None = None


class CreditNoteLineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


class CreditNoteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    customer_id: int
    invoice_id: int | None
    sales_order_id: int | None
    currency: str
    issue_date: date
    amount: Decimal
    reason: str
    applied_amount: Decimal
    unapplied_amount: Decimal
    lines: list[CreditNoteLineRead]
    applications: list[CreditApplicationRead]


class AgingBuckets(BaseModel):
    """Open amounts by days past the due date (edges in domain.finance.receivables.bucket_of)."""

    not_yet_due: Decimal = Decimal("0.00")
    days_0_30: Decimal = Decimal("0.00")
    days_31_60: Decimal = Decimal("0.00")
    days_61_90: Decimal = Decimal("0.00")
    days_over_90: Decimal = Decimal("0.00")

    @property
    def total(self) -> Decimal:
        return self.not_yet_due + self.days_0_30 + self.days_31_60 + self.days_61_90 + self.days_over_90


class AgingRow(BaseModel):
    customer_id: int
    customer_code: str
    customer_name: str
    currency: str
    buckets: AgingBuckets
    total: Decimal


class AgingReport(BaseModel):
    as_of: date
    rows: list[AgingRow]
    totals: AgingBuckets
    total: Decimal


class OverdueInvoice(BaseModel):
    invoice_id: int
    number: str
    customer_id: int
    customer_code: str
    owner: str | None
    currency: str
    due_date: date
    open_amount: Decimal
    days_overdue: int


class CreditCheck(BaseModel):
    customer_id: int
    currency: str
    open_ar: Decimal
    open_orders: Decimal
    exposure: Decimal
    limit: Decimal
    headroom: Decimal  # limit - exposure (negative when already over)
    additional_amount: Decimal
    would_exceed: bool


class PaymentHistory(BaseModel):
    customer_id: int
    invoices_paid: int
    average_days_to_pay: Decimal | None  # issue date to the last settlement, over paid invoices
    late_payments: int  # paid invoices settled after their due date
    open_overdue: int  # invoices past due and still open today
    unallocated_credit: Decimal  # unallocated payments + unapplied credit notes
