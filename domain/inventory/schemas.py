"""Inventory input and output shapes (pydantic)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

MoneyAmount = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2)]
QuantityAmount = Annotated[Decimal, Field(max_digits=18, decimal_places=3)]
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]


class ItemCreate(BaseModel):
    sku: Code
    name: Annotated[str, Field(min_length=1, max_length=200)]
    unit: Annotated[str, Field(min_length=1, max_length=16)] = "pcs"
    unit_cost: MoneyAmount = Decimal("0.00")
    list_price: MoneyAmount = Decimal("0.00")
    active: bool = True


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
    shipped: list[StockAllocation]
