"""Procurement tables: suppliers, purchase requests and their approvals, purchase orders, goods receipts with
inspection, returns to suppliers, supplier invoices and payments.

Statuses are derived from progress (approvals, received/accepted/invoiced quantities, payments), never stored.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain import clock
from domain.db import Base, Money, Quantity, TextEnum
from domain.inventory.models import Item, Warehouse

ZERO_QTY = Decimal("0.000")
ZERO_MONEY = Decimal("0.00")


class RequestSource(enum.StrEnum):
    SHORTAGE = "shortage"  # a sales order could not be reserved in full
    REORDER = "reorder"  # the scheduled check found an item below its reorder point
    MANUAL = "manual"


class RequestStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    ORDERED = "ordered"


class Decision(enum.StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


class OrderStatus(enum.StrEnum):
    OPEN = "open"
    PARTIALLY_RECEIVED = "partially_received"
    RECEIVED = "received"
    INVOICED = "invoiced"


class MatchStatus(enum.StrEnum):
    UNMATCHED = "unmatched"
    MATCHED = "matched"
    MISMATCH = "mismatch"



class Supplier(Base):
    __tablename__ = "supplier"
    __table_args__ = (
        CheckConstraint("lead_time_days >= 0", name="lead_time_not_negative"),
        CheckConstraint("payment_terms_days >= 0", name="payment_terms_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    lead_time_days: Mapped[int] = mapped_column(default=7)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    payment_terms_days: Mapped[int] = mapped_column(default=30)
    email: Mapped[str | None] = mapped_column(String(200), default=None)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class SupplierItem(Base):
    """What a supplier sells us and at which price (the default price of a purchase order line)."""

    __tablename__ = "supplier_item"
    __table_args__ = (CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),)

    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True, index=True)
    unit_price: Mapped[Decimal] = mapped_column(Money())

    supplier: Mapped[Supplier] = relationship()
    item: Mapped[Item] = relationship()


class PurchaseRequest(Base):
    """A need for one item: from a sales shortfall, a reorder-point breach or a person."""

    __tablename__ = "purchase_request"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("required_steps IN (1, 2)", name="required_steps_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    source: Mapped[RequestSource] = mapped_column(TextEnum(RequestSource, "source"))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    needed_by: Mapped[date | None] = mapped_column(default=None)
    required_steps: Mapped[int] = mapped_column(default=1)
    # The sales order short of stock and the process instance waiting for the goods (source shortage).
    sales_order_id: Mapped[int | None] = mapped_column(ForeignKey("sales_order.id"), index=True, default=None)
    business_key: Mapped[str | None] = mapped_column(String(128), index=True, default=None)
    instance_id: Mapped[int | None] = mapped_column(default=None)  # no FK: the domain does not know engine tables
    note: Mapped[str] = mapped_column(Text, default="")
    purchase_order_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("purchase_order_line.id"), index=True, default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    created_by: Mapped[str] = mapped_column(String(64))

    item: Mapped[Item] = relationship()
    approvals: Mapped[list[PurchaseApproval]] = relationship(
        back_populates="request", order_by="PurchaseApproval.step", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def status(self) -> RequestStatus:
        """From the approvals and whether a purchase order line took the request up."""
        if self.purchase_order_line_id is not None:
            return RequestStatus.ORDERED
        if any(a.decision == Decision.REJECTED for a in self.approvals):
            return RequestStatus.REJECTED
        approved = {a.step for a in self.approvals if a.decision == Decision.APPROVED}
        if approved >= set(range(1, self.required_steps + 1)):
            return RequestStatus.APPROVED
        return RequestStatus.PENDING

    @property
    def next_step(self) -> int | None:
        """The approval step waiting for a decision, if any."""
        if self.status != RequestStatus.PENDING:
            return None
        decided = {a.step for a in self.approvals}
        return min(set(range(1, self.required_steps + 1)) - decided)


class PurchaseApproval(Base):
    """One decision on a request at one step (1: team lead, 2: purchasing manager)."""

    __tablename__ = "purchase_approval"
    __table_args__ = (
        UniqueConstraint("request_id", "step", name="uq_purchase_approval_request_step"),
        CheckConstraint("step IN (1, 2)", name="step_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("purchase_request.id", ondelete="CASCADE"))
    step: Mapped[int] = mapped_column()
    decision: Mapped[Decision] = mapped_column(TextEnum(Decision, "decision"))
    decided_by: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(default=clock.now)
    comment: Mapped[str] = mapped_column(Text, default="")

    request: Mapped[PurchaseRequest] = relationship(back_populates="approvals")


class PurchaseOrder(Base):
    __tablename__ = "purchase_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))  # where the goods are delivered
    currency: Mapped[str] = mapped_column(String(3))
    order_date: Mapped[date] = mapped_column()
    expected_date: Mapped[date] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    created_by: Mapped[str] = mapped_column(String(64))

    supplier: Mapped[Supplier] = relationship()
    warehouse: Mapped[Warehouse] = relationship()
    lines: Mapped[list[PurchaseOrderLine]] = relationship(
        back_populates="order", order_by="PurchaseOrderLine.id", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO_MONEY)

    @property
    def status(self) -> OrderStatus:
        """From the lines' accepted and invoiced quantities (never stored, so it cannot drift)."""
        lines = self.lines
        if lines and all(line.accepted_qty >= line.quantity and line.invoiced_qty >= line.quantity for line in lines):
            return OrderStatus.INVOICED
        if lines and all(line.accepted_qty >= line.quantity for line in lines):
            return OrderStatus.RECEIVED
        if any(line.received_qty > 0 for line in lines):
            return OrderStatus.PARTIALLY_RECEIVED
        return OrderStatus.OPEN


class PurchaseOrderLine(Base):
    __tablename__ = "purchase_order_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
        CheckConstraint("received_qty >= 0 AND accepted_qty >= 0 AND invoiced_qty >= 0", name="progress_not_negative"),
        CheckConstraint("accepted_qty <= received_qty", name="accepted_within_received"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    unit_price: Mapped[Decimal] = mapped_column(Money())
    # Progress, kept by the receipt, return and invoice services under the order's row lock.
    received_qty: Mapped[Decimal] = mapped_column(Quantity(), default=ZERO_QTY)
    accepted_qty: Mapped[Decimal] = mapped_column(Quantity(), default=ZERO_QTY)
    invoiced_qty: Mapped[Decimal] = mapped_column(Quantity(), default=ZERO_QTY)

    order: Mapped[PurchaseOrder] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship(lazy="selectin")

    @property
    def amount(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(Decimal("0.01"))

    @property
    def open_qty(self) -> Decimal:
        """Ordered but not yet received in acceptable condition."""
        return max(self.quantity - self.accepted_qty, ZERO_QTY)


class GoodsReceipt(Base):
    __tablename__ = "goods_receipt"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    purchase_order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    received_on: Mapped[date] = mapped_column()
    received_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    order: Mapped[PurchaseOrder] = relationship()
    lines: Mapped[list[GoodsReceiptLine]] = relationship(
        back_populates="receipt", order_by="GoodsReceiptLine.id", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def on_time(self) -> bool:
        return self.received_on <= self.order.expected_date


class GoodsReceiptLine(Base):
    """What arrived for one order line and what the quality inspection made of it."""

    __tablename__ = "goods_receipt_line"
    __table_args__ = (
        CheckConstraint("received_qty > 0", name="received_positive"),
        CheckConstraint("accepted_qty >= 0 AND rejected_qty >= 0", name="inspection_not_negative"),
        # accepted + rejected = received is checked by the service: SQLite would add the Numerics as floats.
        CheckConstraint(
            "accepted_qty <= received_qty AND rejected_qty <= received_qty", name="inspection_within_received"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("goods_receipt.id", ondelete="CASCADE"), index=True)
    purchase_order_line_id: Mapped[int] = mapped_column(ForeignKey("purchase_order_line.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    received_qty: Mapped[Decimal] = mapped_column(Quantity())
    accepted_qty: Mapped[Decimal] = mapped_column(Quantity())
    rejected_qty: Mapped[Decimal] = mapped_column(Quantity())
    inspection_note: Mapped[str] = mapped_column(Text, default="")

    receipt: Mapped[GoodsReceipt] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship(lazy="selectin")
    returns: Mapped[list[SupplierReturn]] = relationship(
        back_populates="receipt_line", order_by="SupplierReturn.id", lazy="selectin"
    )

    @property
    def returned_qty(self) -> Decimal:
        return sum((r.quantity for r in self.returns), ZERO_QTY)


class SupplierReturn(Base):
    """Goods sent back to the supplier; stock_move_id is set when they had been booked into stock."""

    __tablename__ = "supplier_return"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    receipt_line_id: Mapped[int] = mapped_column(ForeignKey("goods_receipt_line.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    reason: Mapped[str] = mapped_column(Text, default="")
    stock_move_id: Mapped[int | None] = mapped_column(ForeignKey("stock_move.id"), default=None)
    returned_at: Mapped[datetime] = mapped_column(default=clock.now)
    returned_by: Mapped[str] = mapped_column(String(64))

    receipt_line: Mapped[GoodsReceiptLine] = relationship(back_populates="returns")


class SupplierInvoice(Base):
    __tablename__ = "supplier_invoice"
    __table_args__ = (UniqueConstraint("supplier_id", "supplier_number", name="uq_supplier_invoice_supplier_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    supplier_number: Mapped[str] = mapped_column(String(64))  # the supplier's own invoice number
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    purchase_order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    invoice_date: Mapped[date] = mapped_column()
    due_date: Mapped[date] = mapped_column()
    match_status: Mapped[MatchStatus] = mapped_column(TextEnum(MatchStatus, "match_status"),
                                                      default=MatchStatus.UNMATCHED)
    mismatches: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    matched_at: Mapped[datetime | None] = mapped_column(default=None)
    # Finance may accept an invoice that does not match (with a reason); it then becomes payable.
    approved_by: Mapped[str | None] = mapped_column(String(64), default=None)
    approved_at: Mapped[datetime | None] = mapped_column(default=None)
    approval_comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    created_by: Mapped[str] = mapped_column(String(64))

    supplier: Mapped[Supplier] = relationship()
    order: Mapped[PurchaseOrder] = relationship()
    lines: Mapped[list[SupplierInvoiceLine]] = relationship(
        back_populates="invoice", order_by="SupplierInvoiceLine.id", cascade="all, delete-orphan", lazy="selectin"
    )
    payments: Mapped[list[SupplierPayment]] = relationship(
        back_populates="invoice", order_by="SupplierPayment.id", lazy="selectin"
    )

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO_MONEY)

    @property
    def paid(self) -> Decimal:
        return sum((p.amount for p in self.payments), ZERO_MONEY)

    @property
    def open_amount(self) -> Decimal:
        return self.total - self.paid

    @property
    def payable(self) -> bool:
        """Matched, or accepted by finance despite the differences."""
        return self.match_status == MatchStatus.MATCHED or self.approved_by is not None


class SupplierInvoiceLine(Base):
    __tablename__ = "supplier_invoice_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("supplier_invoice.id", ondelete="CASCADE"), index=True)
    purchase_order_line_id: Mapped[int] = mapped_column(ForeignKey("purchase_order_line.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    unit_price: Mapped[Decimal] = mapped_column(Money())

    invoice: Mapped[SupplierInvoice] = relationship(back_populates="lines")
    order_line: Mapped[PurchaseOrderLine] = relationship(lazy="selectin")

    @property
    def amount(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(Decimal("0.01"))


class SupplierPayment(Base):
    __tablename__ = "supplier_payment"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("supplier_invoice.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    paid_on: Mapped[date] = mapped_column()
    reference: Mapped[str] = mapped_column(String(100), default="")
    recorded_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    invoice: Mapped[SupplierInvoice] = relationship(back_populates="payments")
