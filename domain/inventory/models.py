"""Inventory tables. Stock changes only through `StockMove` rows; `StockBalance` is their locked running total."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any, NoReturn

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column

from domain import clock
from domain.db import Base, Money, Quantity


class MoveKind(enum.StrEnum):
    RECEIPT = "receipt"
    SHIPMENT = "shipment"
    ADJUSTMENT = "adjustment"


class ReservationStatus(enum.StrEnum):
    ACTIVE = "active"
    CONSUMED = "consumed"
    RELEASED = "released"


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    """A portable enum column: the value stored as text, checked by a named CHECK constraint."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [m.value for m in members],
    )


class Item(Base):
    __tablename__ = "item"
    __table_args__ = (
        CheckConstraint("unit_cost >= 0", name="unit_cost_not_negative"),
        CheckConstraint("list_price >= 0", name="list_price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(16), default="pcs")
    unit_cost: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    list_price: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class Warehouse(Base):
    __tablename__ = "warehouse"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class StockBalance(Base):
    """On hand and reserved for one item in one warehouse; lock it before changing it (see inventory.service)."""

    __tablename__ = "stock_balance"
    __table_args__ = (
        CheckConstraint("on_hand >= reserved", name="on_hand_covers_reserved"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
    )

    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), primary_key=True, index=True)
    on_hand: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal("0.000"))
    reserved: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal("0.000"))

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


class StockMove(Base):
    """One ledger entry: signed quantity in (+) or out (-) of a warehouse. Never updated or deleted."""

    __tablename__ = "stock_move"
    __table_args__ = (
        CheckConstraint("quantity <> 0", name="quantity_not_zero"),
        Index("ix_stock_move_item_warehouse", "item_id", "warehouse_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    kind: Mapped[MoveKind] = mapped_column(_enum(MoveKind, "kind"))
    reference: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    created_by: Mapped[str] = mapped_column(String(64))


class Reservation(Base):
    """Stock set aside in one warehouse for one sales order line."""

    __tablename__ = "reservation"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_reservation_item_warehouse", "item_id", "warehouse_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # A plain foreign key, no relationship: sales.models imports this module, not the other way round.
    sales_order_line_id: Mapped[int] = mapped_column(ForeignKey("sales_order_line.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    status: Mapped[ReservationStatus] = mapped_column(
        _enum(ReservationStatus, "status"), default=ReservationStatus.ACTIVE
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


@event.listens_for(StockMove, "before_update")
@event.listens_for(StockMove, "before_delete")
def _moves_are_append_only(_mapper: Any, _connection: Any, move: StockMove) -> NoReturn:
    raise RuntimeError(f"stock move {move.id} is append-only: post a correcting move instead")
