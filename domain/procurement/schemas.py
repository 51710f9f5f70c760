"""Procurement input and output shapes (pydantic)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.procurement.models import Decision, MatchStatus, OrderStatus, RequestSource, RequestStatus

Quantity = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=3)]
InspectedQuantity = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=3)]
Price = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2)]
Code = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")]


class SupplierCreate(BaseModel):
    code: Code
    name: Annotated[str, Field(min_length=1, max_length=200)]
    lead_time_days: Annotated[int, Field(ge=0, le=3650)] = 7
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "EUR"
    payment_terms_days: Annotated[int, Field(ge=0, le=3650)] = 30
    email: Annotated[str, Field(max_length=200)] | None = None


class SupplierRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    lead_time_days: int
    currency: str
    payment_terms_days: int
    email: str | None
    active: bool


class SupplierPerformance(BaseModel):
    """Rates derived from a supplier's goods receipts; None until there is something to rate."""

    supplier_id: int
    receipts: int
    on_time_receipts: int
    received_qty: Decimal
    accepted_qty: Decimal
    on_time_rate: Decimal | None  # share of receipts on or before the order's expected date, 0..1
    acceptance_rate: Decimal | None  # accepted / received quantity, 0..1


class ShortfallLine(BaseModel):
    item_sku: Annotated[str, Field(min_length=1, max_length=64)]
    quantity: Quantity


class PurchaseRequestCreate(BaseModel):
    item_sku: Annotated[str, Field(min_length=1, max_length=64)]
    quantity: Quantity
    needed_by: date | None = None
    source: RequestSource = RequestSource.MANUAL
    required_steps: Annotated[int, Field(ge=1, le=2)] | None = None  # None: by value (see SECOND_APPROVAL_ABOVE)
    sales_order_id: int | None = None
    business_key: Annotated[str, Field(max_length=128)] | None = None
    instance_id: int | None = None
    note: Annotated[str, Field(max_length=2000)] = ""


class ApprovalCreate(BaseModel):
    step: Annotated[int, Field(ge=1, le=2)]
    decision: Decision
    comment: Annotated[str, Field(max_length=2000)] = ""


class ReceiptLineCreate(BaseModel):
    """One order line's delivery and its inspection: received = accepted + rejected."""

    purchase_order_line_id: int
    received_qty: Quantity
    accepted_qty: InspectedQuantity | None = None  # default: everything received
    rejected_qty: InspectedQuantity = Decimal("0")
    inspection_note: Annotated[str, Field(max_length=2000)] = ""

    @model_validator(mode="after")
    def _inspection_adds_up(self) -> ReceiptLineCreate:
        if self.accepted_qty is None:
            self.accepted_qty = self.received_qty - self.rejected_qty
        if self.accepted_qty < 0 or self.accepted_qty + self.rejected_qty != self.received_qty:
            raise ValueError("accepted and rejected quantities must add up to the received quantity")
        return self


class InvoiceLineCreate(BaseModel):
    purchase_order_line_id: int
    quantity: Quantity
    unit_price: Price


class SupplierInvoiceCreate(BaseModel):
    purchase_order_id: int
    supplier_number: Annotated[str, Field(min_length=1, max_length=64)]
    invoice_date: date
    lines: Annotated[list[InvoiceLineCreate], Field(min_length=1)]


class MatchTolerance(BaseModel):
    """How far an invoice may deviate from order price x accepted quantity and still match.

    A difference is within tolerance when it is within the percentage of the expected amount *and* within the
    absolute amount (the stricter limit wins), checked per line and for the invoice total.
    """

    line_pct: Annotated[Decimal, Field(ge=0, le=100)] = Decimal("2")
    line_amount: Price = Decimal("10.00")
    total_pct: Annotated[Decimal, Field(ge=0, le=100)] = Decimal("1")
    total_amount: Price = Decimal("25.00")


class Mismatch(BaseModel):
    """One reason an invoice does not match; line_id is None for the invoice total."""

    line_id: int | None
    item_sku: str | None
    reason: str  # quantity_not_received | price_differs | total_differs | currency_differs
    expected: Decimal
    invoiced: Decimal
    difference: Decimal

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class MatchResult(BaseModel):
    invoice_id: int
    matched: bool
    mismatches: list[Mismatch]


class SupplierWithRates(SupplierRead):
    on_time_rate: Decimal | None = None
    acceptance_rate: Decimal | None = None
    receipts: int = 0


class ApprovalRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    step: int
    decision: Decision
    decided_by: str
    decided_at: datetime
    comment: str


class PurchaseRequestRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    source: RequestSource
    status: RequestStatus
    item_id: int
    quantity: Decimal
    needed_by: date | None
    required_steps: int
    next_step: int | None
    sales_order_id: int | None
    business_key: str | None
    instance_id: int | None
    note: str
    purchase_order_line_id: int | None
    created_at: datetime
    created_by: str
    approvals: list[ApprovalRead]


class PurchaseOrderLineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    item_id: int
    quantity: Decimal
    unit_price: Decimal
    received_qty: Decimal
    accepted_qty: Decimal
    invoiced_qty: Decimal
    open_qty: Decimal
    amount: Decimal


class PurchaseOrderRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    supplier_id: int
    warehouse_id: int
    currency: str
    order_date: date
    expected_date: date
    status: OrderStatus
    total: Decimal
    created_by: str
    lines: list[PurchaseOrderLineRead]


class ReceiptLineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    purchase_order_line_id: int
    item_id: int
    received_qty: Decimal
    accepted_qty: Decimal
    rejected_qty: Decimal
    returned_qty: Decimal
    inspection_note: str


class GoodsReceiptRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    purchase_order_id: int
    warehouse_id: int
    received_on: date
    received_by: str
    on_time: bool
    lines: list[ReceiptLineRead]


class InvoiceLineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    purchase_order_line_id: int
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


class SupplierInvoiceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    supplier_number: str
    supplier_id: int
    purchase_order_id: int
    currency: str
    invoice_date: date
    due_date: date
    match_status: MatchStatus
    mismatches: list[Mismatch]
    approved_by: str | None
    payable: bool
    total: Decimal
    paid: Decimal
    open_amount: Decimal
    lines: list[InvoiceLineRead]
