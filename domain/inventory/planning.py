"""Stock planning: available-to-promise and the reorder-point check (reads the ledger and open purchases)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.inventory.ledger import ZERO
from domain.inventory.models import Item, StockBalance
from domain.inventory.schemas import ReorderBreach, StockPosition
from domain.procurement.incoming import open_order_quantities, open_request_quantities


def atp(*, session: Session, item_id: int, warehouse_id: int | None = None, by: date | None = None) -> Decimal:
    """Available to promise: on hand less reserved, plus open purchase order quantity expected by `by` (all if None)."""
    query = select(func.coalesce(func.sum(StockBalance.on_hand - StockBalance.reserved), 0)).where(
        StockBalance.item_id == item_id
    )
    if warehouse_id is not None:
        query = query.where(StockBalance.warehouse_id == warehouse_id)
    available = Decimal(session.scalar(query) or 0)
    incoming = open_order_quantities(session=session, item_ids=[item_id], warehouse_id=warehouse_id, by=by)
    return available + incoming.get(item_id, ZERO)


def stock_positions(*, session: Session, search: str = "", limit: int = 100, offset: int = 0) -> list[StockPosition]:
    """Per item (sku order): on hand, reserved, available, incoming on purchase orders and the reorder state."""
    query = select(Item).order_by(Item.sku).limit(limit).offset(offset)
    if search:
        pattern = f"%{search.strip()}%"
        query = query.where(Item.sku.ilike(pattern) | Item.name.ilike(pattern))
    items = list(session.scalars(query))
    return _positions(session, items)


def items_below_reorder_point(*, session: Session) -> list[ReorderBreach]:
    """Active items whose available plus open purchase order and request quantity is below their reorder point.

    Items that already have an open purchase request are left out: the check runs on a schedule and must not
    ask for the same goods twice.
    """
    items = list(session.scalars(select(Item).where(Item.active, Item.reorder_point > 0).order_by(Item.sku)))
    requested = open_request_quantities(session=session, item_ids=[i.id for i in items])
    breaches = []
    for position in _positions(session, [i for i in items if i.id not in requested]):
        if position.below_reorder_point:
            shortfall = position.reorder_point - position.projected
            breaches.append(
                ReorderBreach(
                    item_id=position.item_id,
                    item_sku=position.item_sku,
                    projected=position.projected,
                    reorder_point=position.reorder_point,
                    suggested_quantity=max(position.reorder_quantity, shortfall),
                )
            )
    return breaches


def _positions(session: Session, items: list[Item]) -> list[StockPosition]:
    ids = [item.id for item in items]
    if not ids:
        return []
    rows = session.execute(
        select(StockBalance.item_id, func.sum(StockBalance.on_hand), func.sum(StockBalance.reserved))
        .where(StockBalance.item_id.in_(ids))
        .group_by(StockBalance.item_id)
    )
    totals = {item_id: (Decimal(on_hand), Decimal(reserved)) for item_id, on_hand, reserved in rows}
    ordered = open_order_quantities(session=session, item_ids=ids)
    requested = open_request_quantities(session=session, item_ids=ids)
    positions = []
    for item in items:
        on_hand, reserved = totals.get(item.id, (ZERO, ZERO))
        positions.append(
            StockPosition(
                item_id=item.id,
                item_sku=item.sku,
                item_name=item.name,
                on_hand=on_hand,
                reserved=reserved,
                on_order=ordered.get(item.id, ZERO),
                requested=requested.get(item.id, ZERO),
                reorder_point=item.reorder_point,
                reorder_quantity=item.reorder_quantity,
                safety_stock=item.safety_stock,
            )
        )
    return positions
