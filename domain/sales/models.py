"""Sales tables. An order's status is derived from its lines' ordered, delivered and invoiced quantities."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain import clock
from domain.crm.models import Customer, Opportunity
from domain.db import Base, Money, Quantity, TextEnum
from domain.inventory.models import Item
from domain.sales.pricing import net_amount, to_cents


class OrderStatus(enum.StrEnum):
    DRAFT = "draft"
    CONFIRMED = "confirmed"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    INVOICED = "invoiced"


class QuoteStatus(enum.StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    EXPIRED = "expired"


class SalesOrder(Base):
    __tablename__ = "sales_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    business_key: Mapped[str | None] = mapped_column(String(128), index=True, default=None)
    confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    created_by: Mapped[str] = mapped_column(String(64))

    customer: Mapped[Customer] = relationship()
    lines: Mapped[list[SalesOrderLine]] = relationship(
        back_populates="order", order_by="SalesOrderLine.id", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def total(self) -> Decimal:
        """The sum of the lines' net amounts."""
        return sum((line.net_amount for line in self.lines), Decimal("0.00"))

    @property
    def status(self) -> OrderStatus:
        """Where the order stands, from its lines' progress (never stored, so it cannot drift)."""
        lines = self.lines
        if lines and all(line.invoiced_qty >= line.quantity for line in lines):
            return OrderStatus.INVOICED
        if lines and all(line.delivered_qty >= line.quantity for line in lines):
            return OrderStatus.SHIPPED
        if any(line.delivered_qty > 0 for line in lines):
            return OrderStatus.PARTIALLY_SHIPPED
        return OrderStatus.CONFIRMED if self.confirmed_at is not None else OrderStatus.DRAFT


class SalesOrderLine(Base):
    __tablename__ = "sales_order_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
        CheckConstraint("discount_pct >= 0 AND discount_pct <= 100", name="discount_pct_range"),
        CheckConstraint("delivered_qty >= 0 AND delivered_qty <= quantity", name="delivered_qty_range"),
        CheckConstraint("invoiced_qty >= 0 AND invoiced_qty <= quantity", name="invoiced_qty_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    unit_price: Mapped[Decimal] = mapped_column(Money())
    discount_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2, asdecimal=True), default=Decimal("0.00"))
    delivered_qty: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal("0.000"))
    invoiced_qty: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal("0.000"))

    order: Mapped[SalesOrder] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship(lazy="selectin")

    @property
    def net_amount(self) -> Decimal:
        """quantity * unit_price less the discount, rounded half-up to the cent."""
        return net_amount(quantity=self.quantity, unit_price=self.unit_price, discount_pct=self.discount_pct)


class Quote(Base):
    """An offer to a customer: lines at list price less a discount, valid until a date.

    Totals and margin are computed from the lines (never stored); the status records the customer's answer.
    """

    __tablename__ = "quote"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    opportunity_id: Mapped[int | None] = mapped_column(ForeignKey("opportunity.id"), default=None, index=True)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[QuoteStatus] = mapped_column(
        TextEnum(QuoteStatus, "quote_status"),
        default=QuoteStatus.DRAFT,
        index=True,
    )
    valid_until: Mapped[date]
    business_key: Mapped[str | None] = mapped_column(String(128), index=True, default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    sales_order_id: Mapped[int | None] = mapped_column(ForeignKey("sales_order.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    created_by: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    answered_at: Mapped[datetime | None] = mapped_column(default=None)  # accepted, rejected or expired

    customer: Mapped[Customer] = relationship(lazy="selectin")
    opportunity: Mapped[Opportunity | None] = relationship()
    sales_order: Mapped[SalesOrder | None] = relationship()
    lines: Mapped[list[QuoteLine]] = relationship(
        back_populates="quote", order_by="QuoteLine.id", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def list_total(self) -> Decimal:
        """The lines at list price, before discount."""
        return sum((line.list_amount for line in self.lines), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        """The sum of the lines' net amounts (what the customer pays)."""
        return sum((line.net_amount for line in self.lines), Decimal("0.00"))

    @property
    def discount_amount(self) -> Decimal:
        return self.list_total - self.total

    @property
    def cost_total(self) -> Decimal:
        return sum((line.cost_amount for line in self.lines), Decimal("0.00"))

    @property
    def margin_amount(self) -> Decimal:
        """Estimated margin: net total less the items' cost."""
        return self.total - self.cost_total

    @property
    def margin_pct(self) -> Decimal:
        """Margin as a percentage of the net total, to two places (0 for a quote worth nothing)."""
        if self.total == 0:
            return Decimal("0.00")
        return to_cents(self.margin_amount * 100 / self.total)


class QuoteLine(Base):
    __tablename__ = "quote_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("list_price >= 0", name="list_price_not_negative"),
        CheckConstraint("unit_cost >= 0", name="unit_cost_not_negative"),
        CheckConstraint("discount_pct >= 0 AND discount_pct <= 100", name="discount_pct_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quote.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    # Price and cost are copied from the item when quoting: a later price change must not alter a sent quote.
    list_price: Mapped[Decimal] = mapped_column(Money())
    unit_cost: Mapped[Decimal] = mapped_column(Money())
    discount_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2, asdecimal=True), default=Decimal("0.00"))

    quote: Mapped[Quote] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship(lazy="selectin")

    @property
    def list_amount(self) -> Decimal:
        return net_amount(quantity=self.quantity, unit_price=self.list_price, discount_pct=Decimal(0))

    @property
    def net_amount(self) -> Decimal:
        """quantity * list_price less the discount, rounded half-up to the cent (as on the order line)."""
        return net_amount(quantity=self.quantity, unit_price=self.list_price, discount_pct=self.discount_pct)

    @property
    def cost_amount(self) -> Decimal:
        return net_amount(quantity=self.quantity, unit_price=self.unit_cost, discount_pct=Decimal(0))
