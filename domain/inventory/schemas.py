"""Inventory input and output shapes (pydantic)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, computed_field

MoneyAmount = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2)]
QuantityAmount = Annotated[Decimal, Field(max_digits=18, decimal_places=3)]
PlanningQuantity = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=3)]
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]


class ItemCreate(BaseModel):
    sku: Code
    name: Annotated[str, Field(min_length=1, max_length=200)]
    unit: Annotated[str, Field(min_length=1, max_length=16)] = "pcs"
    unit_cost: MoneyAmount = Decimal("0.00")
    list_price: MoneyAmount = Decimal("0.00")
    active: bool = True
    safety_stock: PlanningQuantity = Decimal("0.000")
    reorder_point: PlanningQuantity = Decimal("0.000")
    reorder_quantity: PlanningQuantity = Decimal("0.000")
    lead_time_days: Annotated[int, Field(ge=0, le=3650)] = 0


class ReplenishmentUpdate(BaseModel):
    """An item's reorder settings."""

    safety_stock: PlanningQuantity
    reorder_point: PlanningQuantity
    reorder_quantity: PlanningQuantity
    lead_time_days: Annotated[int, Field(ge=0, le=3650)]


class ItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    sku: str
    name: str
    unit: str
    unit_cost: Decimal
    list_price: Decimal
    active: bool
    created_at: datetime
    safety_stock: Decimal
    reorder_point: Decimal
    reorder_quantity: Decimal
    lead_time_days: int


class WarehouseCreate(BaseModel):
    code: Annotated[Code, Field(max_length=32)]
    name: Annotated[str, Field(min_length=1, max_length=200)]


class WarehouseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str


class StockAllocation(BaseModel):
    """A quantity of one order line's item, held in or shipped from one warehouse."""

    line_id: int
    item_id: int
    item_sku: str
    warehouse_id: int
    quantity: Decimal


class Shortage(BaseModel):
    """What one order line still lacks after reserving everything available."""

    line_id: int
    item_id: int
    item_sku: str
    quantity: Decimal


class ReservationOutcome(BaseModel):
    """All stock held for an order (this run's and earlier runs'), and what is still missing."""

    order_id: int
    reserved: list[StockAllocation]
    shortages: list[Shortage]

    @property
    def fully_reserved(self) -> bool:
        return not self.shortages


class ShipmentOutcome(BaseModel):
    order_id: int
    shipment_id: int
    shipment_number: str
    shipped: list[StockAllocation]


class StockPosition(BaseModel):
    """One item's stock over all warehouses, with what is coming in."""

    item_id: int
    item_sku: str
    item_name: str
    on_hand: Decimal
    reserved: Decimal
    on_order: Decimal  # on open purchase orders, not yet accepted
    requested: Decimal  # on open purchase requests, not yet ordered
    reorder_point: Decimal
    reorder_quantity: Decimal
    safety_stock: Decimal

    @computed_field  # type: ignore[prop-decorator]
    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved

    @computed_field  # type: ignore[prop-decorator]
    @property
    def atp(self) -> Decimal:
        """Available to promise, counting every open purchase order."""
        return self.available + self.on_order

    @computed_field  # type: ignore[prop-decorator]
    @property
    def projected(self) -> Decimal:
        return self.atp + self.requested

    @computed_field  # type: ignore[prop-decorator]
    @property
    def below_reorder_point(self) -> bool:
        return self.reorder_point > 0 and self.projected < self.reorder_point


class ReorderBreach(BaseModel):
    item_id: int
    item_sku: str
    projected: Decimal  # available + on order + requested
    reorder_point: Decimal
    suggested_quantity: Decimal
