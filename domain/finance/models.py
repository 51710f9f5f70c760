"""Finance tables. An invoice's open amount and status are derived from allocations and credits, never stored."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain import clock
from domain.crm.models import Customer
from domain.db import Base, Money, Quantity, TextEnum
from domain.sales.models import SalesOrder

ZERO = Decimal("0.00")


class InvoiceStatus(enum.StrEnum):
    OPEN = "open"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"


class PaymentMethod(enum.StrEnum):
    BANK_TRANSFER = "bank_transfer"
    CASH = "cash"
    CARD = "card"
    CHEQUE = "cheque"
    OTHER = "other"


class Invoice(Base):
    __tablename__ = "invoice"
    __table_args__ = (
        CheckConstraint("total >= 0", name="total_not_negative"),
        CheckConstraint("due_date >= issue_date", name="due_not_before_issue"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    sales_order_id: Mapped[int | None] = mapped_column(ForeignKey("sales_order.id"), index=True, default=None)
    currency: Mapped[str] = mapped_column(String(3))
    issue_date: Mapped[date]
    due_date: Mapped[date]
    total: Mapped[Decimal] = mapped_column(Money())
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    customer: Mapped[Customer] = relationship()
    sales_order: Mapped[SalesOrder | None] = relationship()
    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.id", cascade="all, delete-orphan", lazy="selectin"
    )
    allocations: Mapped[list[PaymentAllocation]] = relationship(
        back_populates="invoice", order_by="PaymentAllocation.id", lazy="selectin"
    )
    credit_applications: Mapped[list[CreditApplication]] = relationship(
        back_populates="invoice", order_by="CreditApplication.id", lazy="selectin"
    )

    @property
    def paid_amount(self) -> Decimal:
        """Payments allocated to this invoice."""
        return sum((a.amount for a in self.allocations), ZERO)

    @property
    def credited_amount(self) -> Decimal:
        """Credit notes applied to this invoice."""
        return sum((a.amount for a in self.credit_applications), ZERO)

    @property
    def open_amount(self) -> Decimal:
        """total - allocated payments - applied credit notes."""
        return self.total - self.paid_amount - self.credited_amount

    @property
    def status(self) -> InvoiceStatus:
        """open / partially_paid / paid, from what was allocated and credited."""
        if self.open_amount <= 0:  # a zero-total invoice is settled as issued
            return InvoiceStatus.PAID
        return InvoiceStatus.PARTIALLY_PAID if self.open_amount < self.total else InvoiceStatus.OPEN

    def days_overdue(self, as_of: date) -> int:
        """Days past the due date while something is open; 0 when paid or not yet due."""
        return max((as_of - self.due_date).days, 0) if self.open_amount > 0 else 0


class InvoiceLine(Base):
    """A frozen copy of what was billed: later changes to items or prices do not alter an issued invoice."""

    __tablename__ = "invoice_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"), index=True)
    sales_order_line_id: Mapped[int | None] = mapped_column(ForeignKey("sales_order_line.id"), index=True, default=None)
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    unit_price: Mapped[Decimal] = mapped_column(Money())
    discount_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2, asdecimal=True), default=Decimal("0.00"))
    amount: Mapped[Decimal] = mapped_column(Money())

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class Payment(Base):
    """Money received from a customer; allocations tie parts of it to invoices, the rest is the customer's credit."""

    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        # A bank reference identifies one receipt: the same one twice is a duplicate, not a second payment.
        Index(
            "uq_payment_customer_id_reference",
            "customer_id",
            "reference",
            unique=True,
            sqlite_where=text("reference <> ''"),
            postgresql_where=text("reference <> ''"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3))
    paid_on: Mapped[date]
    reference: Mapped[str] = mapped_column(String(100), default="")
    method: Mapped[PaymentMethod] = mapped_column(
        TextEnum(PaymentMethod, "payment_method"),
        default=PaymentMethod.BANK_TRANSFER,
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    customer: Mapped[Customer] = relationship()
    allocations: Mapped[list[PaymentAllocation]] = relationship(
        back_populates="payment", order_by="PaymentAllocation.id", lazy="selectin"
    )

    @property
    def allocated_amount(self) -> Decimal:
        return sum((a.amount for a in self.allocations), ZERO)

    @property
    def unallocated_amount(self) -> Decimal:
        """What is left of the payment as the customer's credit."""
        return self.amount - self.allocated_amount


class PaymentAllocation(Base):
    """A part of a payment settling an invoice. Sums are kept within bounds by the service under row locks."""

    __tablename__ = "payment_allocation"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    allocated_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    payment: Mapped[Payment] = relationship(back_populates="allocations")
    invoice: Mapped[Invoice] = relationship(back_populates="allocations")


class CreditNote(Base):
    """A reduction of what a customer owes ("CN000123"), applied to invoices like a payment."""

    __tablename__ = "credit_note"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"), index=True, default=None)
    sales_order_id: Mapped[int | None] = mapped_column(ForeignKey("sales_order.id"), index=True, default=None)
    currency: Mapped[str] = mapped_column(String(3))
    issue_date: Mapped[date]
    amount: Mapped[Decimal] = mapped_column(Money())
    reason: Mapped[str] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    customer: Mapped[Customer] = relationship()
    invoice: Mapped[Invoice | None] = relationship()
    lines: Mapped[list[CreditNoteLine]] = relationship(
        back_populates="credit_note", order_by="CreditNoteLine.id", cascade="all, delete-orphan", lazy="selectin"
    )
    applications: Mapped[list[CreditApplication]] = relationship(
        back_populates="credit_note", order_by="CreditApplication.id", lazy="selectin"
    )

    @property
    def applied_amount(self) -> Decimal:
        return sum((a.amount for a in self.applications), ZERO)

    @property
    def unapplied_amount(self) -> Decimal:
        """What is left of the credit for later invoices."""
        return self.amount - self.applied_amount


class CreditNoteLine(Base):
    __tablename__ = "credit_note_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_note_id: Mapped[int] = mapped_column(ForeignKey("credit_note.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    unit_price: Mapped[Decimal] = mapped_column(Money())
    amount: Mapped[Decimal] = mapped_column(Money())

    credit_note: Mapped[CreditNote] = relationship(back_populates="lines")


class CreditApplication(Base):
    """A part of a credit note settling an invoice."""

    __tablename__ = "credit_application"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_note_id: Mapped[int] = mapped_column(ForeignKey("credit_note.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    applied_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    credit_note: Mapped[CreditNote] = relationship(back_populates="applications")
    invoice: Mapped[Invoice] = relationship(back_populates="credit_applications")
