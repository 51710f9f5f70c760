"""Returns (RMA): authorize against a shipment, receive, inspect, restock, then refund or replace.

Services flush, never commit. Lock order: the ticket, then the return (or the sales order when opening one, which
serializes returns of the same order so two cannot both fit the same shipped quantity), then stock balances.
Receiving does not touch stock: goods wait in inspection and enter stock only when restocked.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, exists, func, not_, select
from sqlalchemy.orm import Session

from domain import clock
from domain.errors import Conflict, InvalidInput, NotFound
from domain.inventory.models import ShipmentLine, StockMove
from domain.inventory.service import get_shipment, receive_stock
from domain.sales.models import SalesOrderLine
from domain.sales.pricing import net_amount
from domain.sales.service import get_order
from domain.service.models import ZERO, Disposition, ReturnLine, ReturnOrder, ReturnStatus
from domain.service.schemas import InspectedLine, ReceivedLine, ReturnLineCreate
from domain.service.service import get_ticket


def open_return(
    *, session: Session, ticket_id: int, shipment_id: int, lines: Sequence[ReturnLineCreate],
    warehouse_id: int | None = None, actor: str,
) -> ReturnOrder:
    """Authorize a return "RMA000123" of shipped goods; never more than shipped less already returned per line."""
    ticket = get_ticket(session=session, ticket_id=ticket_id, for_update=True)
    shipment = get_shipment(session=session, shipment_id=shipment_id)
    order = get_order(session=session, order_id=shipment.sales_order_id, for_update=True)
    if order.customer_id != ticket.customer_id:
        raise InvalidInput(f"shipment {shipment.number} went to another customer than ticket {ticket.number}'s")
    if not lines:
        raise InvalidInput("a return needs at least one line")
    shipped = {line.id: line for line in shipment.lines}
    wanted: dict[int, Decimal] = {}
    for line in lines:
        if line.shipment_line_id not in shipped:
            raise InvalidInput(f"shipment line {line.shipment_line_id} is not part of shipment {shipment.number}")
        wanted[line.shipment_line_id] = wanted.get(line.shipment_line_id, ZERO) + line.quantity
    returned = returned_quantities(session=session, shipment_line_ids=list(wanted))
    for line_id, quantity in wanted.items():
        left = shipped[line_id].quantity - returned.get(line_id, ZERO)
        if quantity > left:
            raise InvalidInput(f"shipment line {line_id}: {quantity} to return but only {left} shipped and not "
                               "returned yet", code="over_return")
    rma = ReturnOrder(
        number=f"pending-{uuid.uuid4().hex}",  # replaced by the id-based number below
        ticket_id=ticket.id,
        customer_id=ticket.customer_id,
        sales_order_id=order.id,
        shipment_id=shipment.id,
        warehouse_id=warehouse_id or shipped[lines[0].shipment_line_id].warehouse_id,
        created_by=actor,
        lines=[ReturnLine(shipment_line_id=line.shipment_line_id, item_id=shipped[line.shipment_line_id].item_id,
                          quantity=line.quantity, reason=line.reason) for line in lines],
    )
    session.add(rma)
    session.flush()
    rma.number = f"RMA{rma.id:06d}"
    session.flush()
    return rma


def returned_quantities(*, session: Session, shipment_line_ids: Sequence[int]) -> dict[int, Decimal]:
    """Quantity authorized for return so far, per shipment line."""
    query = (select(ReturnLine.shipment_line_id, func.sum(ReturnLine.quantity))
             .where(ReturnLine.shipment_line_id.in_(shipment_line_ids)).group_by(ReturnLine.shipment_line_id))
    return {line_id: Decimal(total) for line_id, total in session.execute(query)}


def get_return(*, session: Session, return_id: int, for_update: bool = False) -> ReturnOrder:
    """The return with this id; for_update locks its row (and re-reads it) until the transaction ends."""
    query = select(ReturnOrder).where(ReturnOrder.id == return_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    rma = session.scalar(query)
    if rma is None:
        raise NotFound(f"return {return_id} not found")
    return rma


def list_returns(
    *, session: Session, status: ReturnStatus | None = None, customer_id: int | None = None,
    ticket_id: int | None = None, q: str | None = None, limit: int = 100, offset: int = 0,
) -> list[ReturnOrder]:
    """Returns, newest first, filtered by derived status, customer, ticket or number."""
    query = select(ReturnOrder).order_by(ReturnOrder.id.desc()).limit(limit).offset(offset)
    if status is not None:
        query = query.where(return_status_condition(status))
    if customer_id is not None:
        query = query.where(ReturnOrder.customer_id == customer_id)
    if ticket_id is not None:
        query = query.where(ReturnOrder.ticket_id == ticket_id)
    if q:
        query = query.where(ReturnOrder.number.ilike(f"%{q.strip()}%"))
    return list(session.scalars(query))


def return_status_condition(status: ReturnStatus) -> ColumnElement[bool]:
    """SQL for the derived status (mirrors ReturnOrder.status)."""

    def any_line(condition: ColumnElement[bool]) -> ColumnElement[bool]:
        return exists().where(ReturnLine.return_id == ReturnOrder.id, condition)

    pending_restock = any_line(and_(ReturnLine.disposition == Disposition.RESTOCK,
                                    ReturnLine.restocked_qty < ReturnLine.inspected_qty))
    resolved = and_(ReturnOrder.resolved_at.is_not(None), not_(pending_restock))
    received = any_line(ReturnLine.received_qty > 0)
    uninspected = any_line(ReturnLine.inspected_qty < ReturnLine.received_qty)
    short = any_line(ReturnLine.received_qty < ReturnLine.quantity)
    conditions = {
        ReturnStatus.RESOLVED: resolved,
        ReturnStatus.AUTHORIZED: and_(not_(resolved), not_(received)),
        ReturnStatus.INSPECTED: and_(not_(resolved), received, not_(uninspected)),
        ReturnStatus.RECEIVED: and_(not_(resolved), received, uninspected, not_(short)),
        ReturnStatus.PARTIALLY_RECEIVED: and_(not_(resolved), received, uninspected, short),
    }
    return conditions[status]


def receive_return(
    *, session: Session, return_id: int, lines: Sequence[ReceivedLine] | None = None
) -> ReturnOrder:
    """Book goods arriving at the warehouse (all outstanding when lines is None); they wait for inspection."""
    rma = _open_return(session, return_id)
    by_id = {line.id: line for line in rma.lines}
    if lines is None:
        lines = [ReceivedLine(line_id=line.id, quantity=line.quantity - line.received_qty)
                 for line in rma.lines if line.received_qty < line.quantity]
    if not lines:
        raise InvalidInput(f"return {rma.number} has nothing left to receive")
    for received in lines:
        line = _line(rma, by_id, received.line_id)
        if line.received_qty + received.quantity > line.quantity:
            raise InvalidInput(f"line {line.id} of {rma.number}: receiving {received.quantity} would exceed the "
                               f"{line.quantity} authorized ({line.received_qty} received)")
        line.received_qty += received.quantity
    session.flush()
    return rma


def inspect_return(*, session: Session, return_id: int, lines: Sequence[InspectedLine]) -> ReturnOrder:
    """Record each line's inspection result and disposition for everything received and not yet inspected."""
    rma = _open_return(session, return_id)
    by_id = {line.id: line for line in rma.lines}
    if not lines:
        raise InvalidInput("name at least one line to inspect")
    for inspected in lines:
        line = _line(rma, by_id, inspected.line_id)
        if line.inspected_qty >= line.received_qty:
            raise InvalidInput(f"line {line.id} of {rma.number} has nothing received awaiting inspection")
        if line.disposition not in (None, inspected.disposition):
            raise Conflict(f"line {line.id} of {rma.number} was already inspected for {line.disposition.value}")
        line.inspection_result, line.disposition = inspected.result, inspected.disposition
        line.inspected_qty = line.received_qty
    session.flush()
    return rma


def restock_return(*, session: Session, return_id: int, actor: str) -> list[StockMove]:
    """Move goods inspected for restocking back into the return's warehouse through the stock ledger."""
    rma = get_return(session=session, return_id=return_id, for_update=True)
    due = sorted((line for line in rma.lines if line.restock_outstanding > 0), key=lambda line: line.item_id)
    moves = []
    for line in due:  # item order: the ledger's lock order (one warehouse per return)
        moves.append(receive_stock(session=session, item_id=line.item_id, warehouse_id=rma.warehouse_id,
                                   quantity=line.restock_outstanding, reference=rma.number, actor=actor))
        line.restocked_qty = line.inspected_qty
    session.flush()
    return moves


def complete_repair(*, session: Session, return_id: int, line_id: int) -> ReturnLine:
    """Mark a line's goods repaired (they go back to the customer, not into stock)."""
    rma = get_return(session=session, return_id=return_id, for_update=True)
    line = _line(rma, {line.id: line for line in rma.lines}, line_id)
    if line.disposition is not Disposition.REPAIR:
        raise InvalidInput(f"line {line.id} of {rma.number} is not in repair")
    line.repaired_at = line.repaired_at or clock.now()
    session.flush()
    return line


def refundable_amount(*, session: Session, rma: ReturnOrder) -> Decimal:
    """What the received goods were sold for: their order lines' net price for the received quantities."""
    total = Decimal("0.00")
    for line in rma.lines:
        if line.received_qty > 0:
            sold = session.get(SalesOrderLine, line.shipment_line.sales_order_line_id)
            assert sold is not None  # a foreign key
            total += net_amount(quantity=line.received_qty, unit_price=sold.unit_price,
                                discount_pct=sold.discount_pct)
    return total


def check_ready_to_resolve(rma: ReturnOrder) -> None:
    """Conflict once resolved; InvalidInput unless goods were received and all of them inspected."""
    if rma.resolution is not None:
        raise Conflict(f"return {rma.number} is already resolved by {rma.resolution.value}")
    if rma.status is not ReturnStatus.INSPECTED:
        raise InvalidInput(f"return {rma.number} is {rma.status.value}: receive and inspect the goods first")


def _open_return(session: Session, return_id: int) -> ReturnOrder:
    rma = get_return(session=session, return_id=return_id, for_update=True)
    if rma.resolution is not None:
        raise Conflict(f"return {rma.number} is already resolved")
    return rma


def _line(rma: ReturnOrder, by_id: dict[int, ReturnLine], line_id: int) -> ReturnLine:
    if line_id not in by_id:
        raise InvalidInput(f"line {line_id} is not part of return {rma.number}")
    return by_id[line_id]


def shipment_line(*, session: Session, shipment_line_id: int) -> ShipmentLine:
    """A shipment line (for pages and operators that name what is returned)."""
    line = session.get(ShipmentLine, shipment_line_id)
    if line is None:
        raise NotFound(f"shipment line {shipment_line_id} not found")
    return line

