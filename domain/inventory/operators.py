"""Inventory operations that service tasks may call (collected by the engine's registry)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from domain.inventory import planning, service
from domain.inventory.schemas import Shortage, StockAllocation
from domain.operators import Operator

# Service tasks run on behalf of the process, not a person; the engine does not pass a user.
ACTOR = "system"


class OrderParams(BaseModel):
    order_id: int = Field(gt=0)


class NoParams(BaseModel):
    pass


def reserve_stock(*, session: Session, order_id: int) -> dict[str, Any]:
    """Reserve stock for an order's lines; reports the totals held and what is still short (idempotent)."""
    outcome = service.reserve_for_order(session=session, order_id=order_id)
    return {
        "order_id": outcome.order_id,
        "fully_reserved": outcome.fully_reserved,
        "reserved": _by_sku(outcome.reserved),
        "shortages": _by_sku(outcome.shortages),
    }


def ship_order(*, session: Session, order_id: int) -> dict[str, Any]:
    """Ship what is reserved for an order; reports the shipment recorded and the totals shipped."""
    outcome = service.ship_order(session=session, order_id=order_id, actor=ACTOR)
    return {
        "order_id": outcome.order_id,
        "shipment_id": outcome.shipment_id,
        "shipment_number": outcome.shipment_number,
        "shipped": _by_sku(outcome.shipped),
    }


def find_reorder_breaches(*, session: Session) -> dict[str, Any]:
    """Items whose available plus incoming quantity is below their reorder point (none with an open request)."""
    breaches = planning.items_below_reorder_point(session=session)
    return {
        "any": bool(breaches),
        "count": len(breaches),
        "breaches": [breach.model_dump() for breach in breaches],
    }


def _by_sku(entries: Iterable[StockAllocation | Shortage]) -> list[dict[str, Any]]:
    """Quantities summed per sku (warehouses and lines merged), in first-seen order."""
    totals: dict[str, Decimal] = {}
    for entry in entries:
        totals[entry.item_sku] = totals.get(entry.item_sku, Decimal("0.000")) + entry.quantity
    return [{"item_sku": sku, "quantity": quantity} for sku, quantity in totals.items()]


OPERATORS: list[Operator] = [
    Operator(
        name="inventory.reserve_stock",
        func=reserve_stock,
        params=OrderParams,
        description="Reserve stock for a sales order from the warehouses that have it; safe to repeat.",
    ),
    Operator(
        name="inventory.ship_order",
        func=ship_order,
        params=OrderParams,
        description="Ship the stock reserved for a sales order and mark its lines delivered.",
    ),
    Operator(
        name="inventory.find_reorder_breaches",
        func=find_reorder_breaches,
        params=NoParams,
        description="List items below their reorder point (available + on order + requested), for the scheduled check.",
    ),
]
