"""Finance tables. An invoice's status is derived from its payments, never stored."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain import clock
from domain.crm.models import Customer
from domain.db import Base, Money, Quantity
from domain.sales.models import SalesOrder


class InvoiceStatus(enum.StrEnum):
    OPEN = "open"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"


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
    payments: Mapped[list[Payment]] = relationship(back_populates="invoice", order_by="Payment.id", lazy="selectin")

    @property
    def paid_amount(self) -> Decimal:
        return sum((payment.amount for payment in self.payments), Decimal("0.00"))

    @property
    def open_amount(self) -> Decimal:
        return self.total - self.paid_amount

    @property
    def status(self) -> InvoiceStatus:
        """open / partially_paid / paid, from the payments recorded."""
        paid = self.paid_amount
        if paid >= self.total:  # a zero-total invoice is settled as issued
            return InvoiceStatus.PAID
        return InvoiceStatus.PARTIALLY_PAID if paid > 0 else InvoiceStatus.OPEN


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
    __tablename__ = "payment"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    paid_on: Mapped[date]
    reference: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    invoice: Mapped[Invoice] = relationship(back_populates="payments")
