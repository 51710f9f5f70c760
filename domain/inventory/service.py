"""Inventory operations: items, warehouses, receipts, and reserving and shipping stock for sales orders.

Services flush, never commit. Lock order everywhere: the sales order row first, then balance rows in
(item_id, warehouse_id) order (see inventory.ledger).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.errors import Conflict, InvalidInput, NotFound
from domain.inventory.ledger import ZERO, check_quantity, lock_balances, lock_item_balances, post_move
from domain.inventory.models import (
    Item,
    MoveKind,
    Reservation,
    ReservationStatus,
    Shipment,
    ShipmentLine,
    StockBalance,
    StockMove,
    Warehouse,
)
from domain.inventory.schemas import (
    ItemCreate,
    ReplenishmentUpdate,
    ReservationOutcome,
    ShipmentOutcome,
    Shortage,
    StockAllocation,
    WarehouseCreate,
)
from domain.sales.models import SalesOrder, SalesOrderLine


def create_item(*, session: Session, data: ItemCreate) -> Item:
    """Add an item to the catalogue."""
    if session.scalar(select(Item.id).where(Item.sku == data.sku)) is not None:
        raise Conflict(f"item sku {data.sku!r} is already taken")
    item = Item(**data.model_dump())
    session.add(item)
    session.flush()
    return item


def get_item(*, session: Session, item_id: int) -> Item:
    """The item with this id."""
    item = session.get(Item, item_id)
    if item is None:
        raise NotFound(f"item {item_id} not found")
    return item


def get_item_by_sku(*, session: Session, sku: str) -> Item:
    """The item with this sku."""
    return get_items_by_sku(session=session, skus=[sku])[sku]


def get_items_by_sku(*, session: Session, skus: Iterable[str]) -> dict[str, Item]:
    """The items for these skus, by sku; NotFound names every missing one."""
    wanted = set(skus)
    items = {item.sku: item for item in session.scalars(select(Item).where(Item.sku.in_(wanted)))}
    missing = sorted(wanted - items.keys())
    if missing:
        raise NotFound(f"unknown item sku: {', '.join(missing)}")
    return items


def create_warehouse(*, session: Session, data: WarehouseCreate) -> Warehouse:
    """Add a warehouse."""
    if session.scalar(select(Warehouse.id).where(Warehouse.code == data.code)) is not None:
        raise Conflict(f"warehouse code {data.code!r} is already taken")
    warehouse = Warehouse(code=data.code, name=data.name)
    session.add(warehouse)
    session.flush()
    return warehouse


def get_warehouse(*, session: Session, warehouse_id: int) -> Warehouse:
    """The warehouse with this id."""
    warehouse = session.get(Warehouse, warehouse_id)
    if warehouse is None:
        raise NotFound(f"warehouse {warehouse_id} not found")
    return warehouse


def receive_stock(
    *, session: Session, item_id: int, warehouse_id: int, quantity: Decimal, reference: str, actor: str
) -> StockMove:
    """Book a receipt of a positive quantity into a warehouse."""
    return _post(session, item_id, warehouse_id, MoveKind.RECEIPT, check_quantity(quantity), reference, actor)


def adjust_stock(
    *, session: Session, item_id: int, warehouse_id: int, quantity: Decimal, reference: str, actor: str
) -> StockMove:
    """Book a signed correction (count differences, damage); on hand may not fall below reserved."""
    checked = check_quantity(quantity, allow_negative=True)
    return _post(session, item_id, warehouse_id, MoveKind.ADJUSTMENT, checked, reference, actor)


def return_to_supplier(
    *, session: Session, item_id: int, warehouse_id: int, quantity: Decimal, reference: str, actor: str
) -> StockMove:
    """Book goods leaving stock back to their supplier; on hand may not fall below reserved."""
    checked = -check_quantity(quantity)
    return _post(session, item_id, warehouse_id, MoveKind.SUPPLIER_RETURN, checked, reference, actor)


def set_replenishment(*, session: Session, item_id: int, data: ReplenishmentUpdate) -> Item:
    """Change an item's safety stock, reorder point and quantity, and lead time."""
    item = get_item(session=session, item_id=item_id)
    for name, value in data.model_dump().items():
        setattr(item, name, value)
    session.flush()
    return item


def available(*, session: Session, item_id: int, warehouse_id: int | None = None) -> Decimal:
    """On hand less reserved for an item, in one warehouse or all of them."""
    query = select(StockBalance).where(StockBalance.item_id == item_id)
    if warehouse_id is not None:
        query = query.where(StockBalance.warehouse_id == warehouse_id)
    return sum((b.available for b in session.scalars(query)), ZERO)


def list_moves(*, session: Session, item_id: int, warehouse_id: int | None = None) -> list[StockMove]:
    """An item's ledger, oldest first."""
    query = select(StockMove).where(StockMove.item_id == item_id).order_by(StockMove.id)
    if warehouse_id is not None:
        query = query.where(StockMove.warehouse_id == warehouse_id)
    return list(session.scalars(query))


def reserve_for_order(*, session: Session, order_id: int) -> ReservationOutcome:
    """Reserve each line's not yet reserved quantity where stock is available; running it again adds nothing twice."""
    order = _lock_order(session, order_id)
    held = _held_by_line(session, order)
    needs = {line.id: line.quantity - held.get(line.id, ZERO) for line in order.lines}
    open_lines = [line for line in order.lines if needs[line.id] > 0]
    balances = lock_item_balances(session, (line.item_id for line in open_lines))
    for line in open_lines:
        needs[line.id] -= _reserve_line(session, line, needs[line.id], balances)
    session.flush()
    shortages = [
        Shortage(line_id=line.id, item_id=line.item_id, item_sku=line.item.sku, quantity=needs[line.id])
        for line in open_lines
        if needs[line.id] > 0
    ]
    return ReservationOutcome(order_id=order.id, reserved=_allocations(session, order), shortages=shortages)


def ship_order(*, session: Session, order_id: int, actor: str) -> ShipmentOutcome:
    """Ship everything reserved for the order: a Shipment recorded, moves out, reservations used, lines delivered."""
    order = _lock_order(session, order_id)
    reservations = _reservations(session, order, ReservationStatus.ACTIVE)
    if not reservations:
        raise InvalidInput(f"order {order.number} has no reserved stock to ship")
    balances = lock_balances(session, ((r.item_id, r.warehouse_id) for r in reservations))
    lines = {line.id: line for line in order.lines}
    shipment = _new_shipment(session, order, reservations, actor)
    for reservation in reservations:
        balance = balances[(reservation.item_id, reservation.warehouse_id)]
        balance.reserved -= reservation.quantity
        post_move(
            session,
            balance=balance,
            kind=MoveKind.SHIPMENT,
            quantity=-reservation.quantity,
            reference=f"{order.number}/{shipment.number}",
            actor=actor,
        )
        reservation.status = ReservationStatus.CONSUMED
        lines[reservation.sales_order_line_id].delivered_qty += reservation.quantity
    session.flush()
    return ShipmentOutcome(
        order_id=order.id,
        shipment_id=shipment.id,
        shipment_number=shipment.number,
        shipped=[_allocation(r, lines) for r in reservations],
    )


def get_shipment(*, session: Session, shipment_id: int) -> Shipment:
    """The shipment with this id, lines included."""
    shipment = session.get(Shipment, shipment_id)
    if shipment is None:
        raise NotFound(f"shipment {shipment_id} not found")
    return shipment


def list_shipments(*, session: Session, sales_order_id: int) -> list[Shipment]:
    """A sales order's shipments, oldest first."""
    query = select(Shipment).where(Shipment.sales_order_id == sales_order_id).order_by(Shipment.id)
    return list(session.scalars(query))


def release_for_order(*, session: Session, order_id: int) -> list[StockAllocation]:
    """Give back the order's active reservations (a cancelled or changed order); returns what was released."""
    order = _lock_order(session, order_id)
    reservations = _reservations(session, order, ReservationStatus.ACTIVE)
    balances = lock_balances(session, ((r.item_id, r.warehouse_id) for r in reservations))
    for reservation in reservations:
        balances[(reservation.item_id, reservation.warehouse_id)].reserved -= reservation.quantity
        reservation.status = ReservationStatus.RELEASED
    session.flush()
    lines = {line.id: line for line in order.lines}
    return [_allocation(r, lines) for r in reservations]


def _post(
    session: Session, item_id: int, warehouse_id: int, kind: MoveKind, quantity: Decimal, reference: str, actor: str
) -> StockMove:
    get_item(session=session, item_id=item_id)
    get_warehouse(session=session, warehouse_id=warehouse_id)
    balance = lock_balances(session, [(item_id, warehouse_id)], create_missing=True)[(item_id, warehouse_id)]
    move = post_move(session, balance=balance, kind=kind, quantity=quantity, reference=reference, actor=actor)
    session.flush()
    return move


def _new_shipment(session: Session, order: SalesOrder, reservations: list[Reservation], actor: str) -> Shipment:
    shipment = Shipment(
        # Placeholder until the id exists: the id is the one counter safe under concurrent inserts.
        number=f"pending-{uuid.uuid4().hex}",
        sales_order_id=order.id,
        shipped_by=actor,
        lines=[
            ShipmentLine(
                sales_order_line_id=r.sales_order_line_id,
                item_id=r.item_id,
                warehouse_id=r.warehouse_id,
                quantity=r.quantity,
            )
            for r in reservations
        ],
    )
    session.add(shipment)
    session.flush()
    shipment.number = f"SH{shipment.id:06d}"
    return shipment


def _lock_order(session: Session, order_id: int) -> SalesOrder:
    query = select(SalesOrder).where(SalesOrder.id == order_id).with_for_update()
    order = session.scalar(query.execution_options(populate_existing=True))
    if order is None:
        raise NotFound(f"sales order {order_id} not found")
    return order


def _reservations(session: Session, order: SalesOrder, *statuses: ReservationStatus) -> list[Reservation]:
    query = (
        select(Reservation)
        .join(SalesOrderLine, SalesOrderLine.id == Reservation.sales_order_line_id)
        .where(SalesOrderLine.order_id == order.id, Reservation.status.in_(statuses))
        .order_by(Reservation.id)
        .execution_options(populate_existing=True)  # callers hold the order lock: read the current rows
    )
    return list(session.scalars(query))


def _held_by_line(session: Session, order: SalesOrder) -> dict[int, Decimal]:
    """Per line, the quantity already reserved or shipped from a reservation."""
    held: dict[int, Decimal] = {}
    for r in _reservations(session, order, ReservationStatus.ACTIVE, ReservationStatus.CONSUMED):
        held[r.sales_order_line_id] = held.get(r.sales_order_line_id, ZERO) + r.quantity
    return held


def _reserve_line(
    session: Session, line: SalesOrderLine, need: Decimal, balances: dict[tuple[int, int], StockBalance]
) -> Decimal:
    """Reserve up to need for line, fullest warehouse first (fewest split shipments); returns the quantity."""
    candidates = [b for (item_id, _), b in balances.items() if item_id == line.item_id and b.available > 0]
    candidates.sort(key=lambda b: (-b.available, b.warehouse_id))
    taken = ZERO
    for balance in candidates:
        quantity = min(need - taken, balance.available)
        if quantity <= 0:
            break
        balance.reserved += quantity
        session.add(
            Reservation(
                sales_order_line_id=line.id,
                item_id=line.item_id,
                warehouse_id=balance.warehouse_id,
                quantity=quantity,
            )
        )
        taken += quantity
    return taken


def _allocations(session: Session, order: SalesOrder) -> list[StockAllocation]:
    lines = {line.id: line for line in order.lines}
    held = _reservations(session, order, ReservationStatus.ACTIVE, ReservationStatus.CONSUMED)
    return [_allocation(r, lines) for r in held]


def _allocation(reservation: Reservation, lines: dict[int, SalesOrderLine]) -> StockAllocation:
    return StockAllocation(
        line_id=reservation.sales_order_line_id,
        item_id=reservation.item_id,
        item_sku=lines[reservation.sales_order_line_id].item.sku,
        warehouse_id=reservation.warehouse_id,
        quantity=reservation.quantity,
    )
