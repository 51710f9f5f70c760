"""Service tables: tickets with SLA due times and technician visits, returns (RMA) with inspection, surveys.

Statuses are derived from timestamps and quantities, never stored, so they cannot drift.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain import clock
from domain.crm.models import Customer
from domain.db import Base, Money, Quantity, TextEnum
from domain.inventory.models import Item, Shipment, ShipmentLine
from domain.sales.models import SalesOrder
from domain.service.sla import SLA_POLICIES, Priority, SlaState, target_state

ZERO = Decimal("0.000")


class Channel(enum.StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    WEB = "web"
    WECHAT = "wechat"
    ON_SITE = "on_site"


class TicketStatus(enum.StrEnum):
    NEW = "new"
    RESPONDED = "responded"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"


class InspectionResult(enum.StrEnum):
    OK = "ok"
    DAMAGED = "damaged"
    DEFECTIVE = "defective"


class Disposition(enum.StrEnum):
    RESTOCK = "restock"
    SCRAP = "scrap"
    REPAIR = "repair"


class ReturnResolution(enum.StrEnum):
    REFUND = "refund"
    REPLACEMENT = "replacement"


class ReturnStatus(enum.StrEnum):
    AUTHORIZED = "authorized"
    PARTIALLY_RECEIVED = "partially_received"
    RECEIVED = "received"
    INSPECTED = "inspected"
    RESOLVED = "resolved"



class Ticket(Base):
    """A customer's service request, numbered "TK000123"; due times come from the SLA policy of its priority."""

    __tablename__ = "service_ticket"
    __table_args__ = (CheckConstraint("reopen_count >= 0", name="reopen_count_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"), default=None)
    contact: Mapped[str | None] = mapped_column(String(200), default=None)  # who called, as said (may be no contact)
    channel: Mapped[Channel] = mapped_column(TextEnum(Channel, "channel"))
    priority: Mapped[Priority] = mapped_column(TextEnum(Priority, "priority"), index=True)
    category: Mapped[str] = mapped_column(String(64), default="general")
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    sales_order_id: Mapped[int | None] = mapped_column(ForeignKey("sales_order.id"), index=True, default=None)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), default=None)
    business_key: Mapped[str | None] = mapped_column(String(128), index=True, default=None)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    created_by: Mapped[str] = mapped_column(String(64))
    response_due_at: Mapped[datetime]
    resolution_due_at: Mapped[datetime]
    first_response_at: Mapped[datetime | None] = mapped_column(default=None)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    technician: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    resolution_code: Mapped[str | None] = mapped_column(String(32), default=None)
    resolution_notes: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    reopen_count: Mapped[int] = mapped_column(default=0)

    customer: Mapped[Customer] = relationship(lazy="selectin")
    item: Mapped[Item | None] = relationship(lazy="selectin")
    sales_order: Mapped[SalesOrder | None] = relationship()
    visits: Mapped[list[Visit]] = relationship(
        back_populates="ticket", order_by="Visit.id", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def status(self) -> TicketStatus:
        """new -> responded -> in progress -> resolved -> closed, from what has happened (a reopen clears the end)."""
        if self.closed_at is not None:
            return TicketStatus.CLOSED
        if self.resolved_at is not None:
            return TicketStatus.RESOLVED
        if self.started_at is not None:
            return TicketStatus.IN_PROGRESS
        return TicketStatus.RESPONDED if self.first_response_at is not None else TicketStatus.NEW

    def sla_status(self, as_of: datetime) -> tuple[SlaState, SlaState]:
        """(first response, resolution) against the SLA at as_of: on track, at risk, breached or met."""
        policy = SLA_POLICIES[self.priority]
        response = target_state(due_at=self.response_due_at, window=policy.response,
                                done_at=self.first_response_at, as_of=as_of)
        resolution = target_state(due_at=self.resolution_due_at, window=policy.resolution,
                                  done_at=self.resolved_at, as_of=as_of)
        return response, resolution


class Visit(Base):
    """A technician dispatched to the customer for a ticket; parts used are consumed from stock."""

    __tablename__ = "service_visit"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("service_ticket.id", ondelete="CASCADE"), index=True)
    technician: Mapped[str] = mapped_column(String(64))
    scheduled_at: Mapped[datetime]
    visited_at: Mapped[datetime | None] = mapped_column(default=None)
    report: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    ticket: Mapped[Ticket] = relationship(back_populates="visits")
    parts: Mapped[list[VisitPart]] = relationship(
        back_populates="visit", order_by="VisitPart.id", cascade="all, delete-orphan", lazy="selectin"
    )


class VisitPart(Base):
    """A part a technician used; `stock_move_id` is the ledger entry that took it out of the warehouse."""

    __tablename__ = "service_visit_part"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("service_visit.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    stock_move_id: Mapped[int] = mapped_column(ForeignKey("stock_move.id"))

    visit: Mapped[Visit] = relationship(back_populates="parts")
    item: Mapped[Item] = relationship(lazy="selectin")


class ReturnOrder(Base):
    """A return merchandise authorization, numbered "RMA000123", for goods of one shipment."""

    __tablename__ = "return_order"
    __table_args__ = (CheckConstraint("refund_amount IS NULL OR refund_amount >= 0", name="refund_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("service_ticket.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    sales_order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id"), index=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipment.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    created_by: Mapped[str] = mapped_column(String(64))
    resolution: Mapped[ReturnResolution | None] = mapped_column(TextEnum(ReturnResolution, "resolution"), default=None)
    refund_amount: Mapped[Decimal | None] = mapped_column(Money(), default=None)
    credit_note_id: Mapped[int | None] = mapped_column(ForeignKey("credit_note.id"), default=None)
    credit_note_number: Mapped[str | None] = mapped_column(String(40), default=None)
    replacement_order_id: Mapped[int | None] = mapped_column(ForeignKey("sales_order.id"), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)

    ticket: Mapped[Ticket] = relationship(lazy="selectin")
    customer: Mapped[Customer] = relationship(lazy="selectin")
    sales_order: Mapped[SalesOrder] = relationship(foreign_keys=[sales_order_id])
    shipment: Mapped[Shipment] = relationship()
    replacement_order: Mapped[SalesOrder | None] = relationship(foreign_keys=[replacement_order_id])
    lines: Mapped[list[ReturnLine]] = relationship(
        back_populates="return_order", order_by="ReturnLine.id", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def pending_restock(self) -> bool:
        """Whether goods inspected for restocking are not back in stock yet."""
        return any(line.restock_outstanding > 0 for line in self.lines)

    @property
    def status(self) -> ReturnStatus:
        """From received, inspected and resolved progress: resolved needs the resolution and every restock done."""
        lines = self.lines
        if self.resolved_at is not None and not self.pending_restock:
            return ReturnStatus.RESOLVED
        received = sum((line.received_qty for line in lines), ZERO)
        if received == 0:
            return ReturnStatus.AUTHORIZED
        if all(line.inspected_qty >= line.received_qty for line in lines):
            return ReturnStatus.INSPECTED
        if all(line.received_qty >= line.quantity for line in lines):
            return ReturnStatus.RECEIVED
        return ReturnStatus.PARTIALLY_RECEIVED


class ReturnLine(Base):
    """Returned quantity of one shipment line, with what was received, inspected and done with it."""

    __tablename__ = "return_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("received_qty >= 0 AND received_qty <= quantity", name="received_qty_range"),
        CheckConstraint("inspected_qty >= 0 AND inspected_qty <= received_qty", name="inspected_qty_range"),
        CheckConstraint("restocked_qty >= 0 AND restocked_qty <= inspected_qty", name="restocked_qty_range"),
        Index("ix_return_line_shipment_line_id", "shipment_line_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("return_order.id", ondelete="CASCADE"), index=True)
    shipment_line_id: Mapped[int] = mapped_column(ForeignKey("shipment_line.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    reason: Mapped[str] = mapped_column(String(200), default="")
    received_qty: Mapped[Decimal] = mapped_column(Quantity(), default=ZERO)
    inspected_qty: Mapped[Decimal] = mapped_column(Quantity(), default=ZERO)
    inspection_result: Mapped[InspectionResult | None] = mapped_column(
        TextEnum(InspectionResult, "inspection_result"), default=None
    )
    disposition: Mapped[Disposition | None] = mapped_column(TextEnum(Disposition, "disposition"), default=None)
    restocked_qty: Mapped[Decimal] = mapped_column(Quantity(), default=ZERO)
    repaired_at: Mapped[datetime | None] = mapped_column(default=None)

    return_order: Mapped[ReturnOrder] = relationship(back_populates="lines")
    shipment_line: Mapped[ShipmentLine] = relationship(lazy="selectin")
    item: Mapped[Item] = relationship(lazy="selectin")

    @property
    def restock_outstanding(self) -> Decimal:
        """Inspected for restocking but not moved back into the warehouse yet."""
        if self.disposition is not Disposition.RESTOCK:
            return ZERO
        return self.inspected_qty - self.restocked_qty

    @property
    def scrapped_qty(self) -> Decimal:
        """Scrapped goods: recorded here, never added to stock."""
        return self.inspected_qty if self.disposition is Disposition.SCRAP else ZERO


class Survey(Base):
    """A satisfaction survey for a closed ticket: score 0-10 once answered."""

    __tablename__ = "service_survey"
    __table_args__ = (CheckConstraint("score IS NULL OR (score >= 0 AND score <= 10)", name="score_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("service_ticket.id"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    sent_at: Mapped[datetime] = mapped_column(default=clock.now)
    answered_at: Mapped[datetime | None] = mapped_column(index=True, default=None)
    score: Mapped[int | None] = mapped_column(default=None)
    comment: Mapped[str] = mapped_column(Text, default="")

    ticket: Mapped[Ticket] = relationship(lazy="selectin")
