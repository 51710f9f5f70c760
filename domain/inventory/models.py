"""Inventory tables. Stock changes only through `StockMove` rows; `StockBalance` is their locked running total."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any, NoReturn

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain import clock
from domain.db import Base, Money, Quantity, TextEnum


class MoveKind(enum.StrEnum):
    RECEIPT = "receipt"
    SHIPMENT = "shipment"
    ADJUSTMENT = "adjustment"
    SUPPLIER_RETURN = "supplier_return"


class ReservationStatus(enum.StrEnum):
    ACTIVE = "active"
    CONSUMED = "consumed"
    RELEASED = "released"



class Item(Base):
    __tablename__ = "item"
    __table_args__ = (
        CheckConstraint("unit_cost >= 0", name="unit_cost_not_negative"),
        CheckConstraint("list_price >= 0", name="list_price_not_negative"),
        CheckConstraint(
            "safety_stock >= 0 AND reorder_point >= 0 AND reorder_quantity >= 0 AND lead_time_days >= 0",
            name="replenishment_not_negative",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(16), default="pcs")
    unit_cost: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    list_price: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    # Replenishment settings: the scheduled reorder check proposes reorder_quantity when the
    # available-plus-incoming quantity drops below reorder_point; safety_stock is the floor planners aim at.
    safety_stock: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal("0.000"), server_default="0")
    reorder_point: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal("0.000"), server_default="0")
    reorder_quantity: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal("0.000"), server_default="0")
    lead_time_days: Mapped[int] = mapped_column(default=0, server_default="0")


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
    kind: Mapped[MoveKind] = mapped_column(TextEnum(MoveKind, "kind"))
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
        TextEnum(ReservationStatus, "status"), default=ReservationStatus.ACTIVE
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class Shipment(Base):
    """One dispatch of stock for a sales order, numbered "SH000123"; its lines say what left which warehouse."""

    __tablename__ = "shipment"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    sales_order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id"), index=True)
    shipped_at: Mapped[datetime] = mapped_column(default=clock.now)
    shipped_by: Mapped[str] = mapped_column(String(64))

    lines: Mapped[list[ShipmentLine]] = relationship(
        back_populates="shipment", cascade="all, delete-orphan", order_by="ShipmentLine.id"
    )


class ShipmentLine(Base):
    __tablename__ = "shipment_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipment.id"), index=True)
    sales_order_line_id: Mapped[int] = mapped_column(ForeignKey("sales_order_line.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity())

    shipment: Mapped[Shipment] = relationship(back_populates="lines")


@event.listens_for(StockMove, "before_update")
@event.listens_for(StockMove, "before_delete")
def _moves_are_append_only(_mapper: Any, _connection: Any, move: StockMove) -> NoReturn:
    raise RuntimeError(f"stock move {move.id} is append-only: post a correcting move instead")
