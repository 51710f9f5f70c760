"""Returns (RMA): never beyond what was shipped; receiving, inspection, restock vs scrap, refund, replacement."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.crm.models import Customer
from domain.errors import Conflict, InvalidInput
from domain.inventory.models import Item, MoveKind, Shipment, StockBalance, StockMove, Warehouse
from domain.inventory.service import get_shipment, reserve_for_order, ship_order
from domain.sales.models import OrderStatus, SalesOrder
from domain.sales.service import get_order
from domain.service import resolutions, returns
from domain.service.models import Disposition, InspectionResult, ReturnOrder, ReturnResolution, ReturnStatus
from domain.service.schemas import InspectedLine, ReceivedLine, ReturnLineCreate, TicketCreate
from domain.service.service import create_ticket
from tests.factories import ACTOR, make_customer, make_item, make_order, make_warehouse, receive


@dataclass
class Shipped:
    customer: Customer
    item: Item
    warehouse: Warehouse
    order: SalesOrder
    shipment: Shipment
    ticket_id: int


def ship(session: Session, quantity: str = "5", unit_price: str = "10.00") -> Shipped:
    """A customer with an order of one item shipped in full, and a ticket about it."""
    customer, item, warehouse = make_customer(session), make_item(session), make_warehouse(session)
    receive(session, item, warehouse, "100")
    order = make_order(session, customer, (item, quantity, unit_price))
    reserve_for_order(session=session, order_id=order.id)
    shipment = get_shipment(session=session,
                            shipment_id=ship_order(session=session, order_id=order.id, actor=ACTOR).shipment_id)
    ticket = create_ticket(session=session, actor=ACTOR, data=TicketCreate(
        customer_code=customer.code, subject="Wrong size", sales_order_id=order.id))
    return Shipped(customer, item, warehouse, order, shipment, ticket.id)


def open_rma(session: Session, shipped: Shipped, quantity: str, reason: str = "wrong size") -> ReturnOrder:
    line = ReturnLineCreate(shipment_line_id=shipped.shipment.lines[0].id, quantity=Decimal(quantity), reason=reason)
    return returns.open_return(session=session, ticket_id=shipped.ticket_id, shipment_id=shipped.shipment.id,
                               lines=[line], actor=ACTOR)


def inspected(session: Session, shipped: Shipped, quantity: str, disposition: Disposition) -> ReturnOrder:
    """A return of quantity, received in full and inspected for disposition."""
    rma = open_rma(session, shipped, quantity)
    returns.receive_return(session=session, return_id=rma.id)
    return returns.inspect_return(session=session, return_id=rma.id, lines=[InspectedLine(
        line_id=rma.lines[0].id, result=InspectionResult.OK, disposition=disposition)])


def on_hand(session: Session, shipped: Shipped) -> Decimal:
    balance = session.get(StockBalance, (shipped.item.id, shipped.warehouse.id))
    assert balance is not None
    session.refresh(balance)
    return balance.on_hand


def test_return_number_is_generated_from_the_id(session: Session) -> None:
    rma = open_rma(session, ship(session), "1")

    assert rma.number == f"RMA{rma.id:06d}"


def test_return_is_tied_to_ticket_order_and_shipment(session: Session) -> None:
    shipped = ship(session)

    rma = open_rma(session, shipped, "1")

    assert (rma.ticket_id, rma.sales_order_id, rma.shipment_id, rma.customer_id, rma.warehouse_id) == (
        shipped.ticket_id, shipped.order.id, shipped.shipment.id, shipped.customer.id, shipped.warehouse.id)


def test_returning_more_than_shipped_is_refused(session: Session) -> None:
    with pytest.raises(InvalidInput, match="only 5.000 shipped") as raised:
        open_rma(session, ship(session, "5"), "5.001")

    assert raised.value.code == "over_return"


def test_a_second_return_may_take_only_what_the_first_left(session: Session) -> None:
    shipped = ship(session, "5")
    open_rma(session, shipped, "3")

    open_rma(session, shipped, "2")
    with pytest.raises(InvalidInput, match="only 0.000 shipped and not returned"):
        open_rma(session, shipped, "0.001")


def test_two_lines_of_one_request_count_together_against_the_shipped_quantity(session: Session) -> None:
    shipped = ship(session, "5")
    line_id = shipped.shipment.lines[0].id
    lines = [ReturnLineCreate(shipment_line_id=line_id, quantity=Decimal("3")),
             ReturnLineCreate(shipment_line_id=line_id, quantity=Decimal("3"))]

    with pytest.raises(InvalidInput, match="over|only"):
        returns.open_return(session=session, ticket_id=shipped.ticket_id, shipment_id=shipped.shipment.id,
                            lines=lines, actor=ACTOR)


def test_a_line_of_another_shipment_is_refused(session: Session) -> None:
    shipped, other = ship(session), ship(session)
    line = ReturnLineCreate(shipment_line_id=other.shipment.lines[0].id, quantity=Decimal("1"))

    with pytest.raises(InvalidInput, match="not part of shipment"):
        returns.open_return(session=session, ticket_id=shipped.ticket_id, shipment_id=shipped.shipment.id,
                            lines=[line], actor=ACTOR)


def test_a_shipment_of_another_customer_is_refused(session: Session) -> None:
    shipped, other = ship(session), ship(session)

    with pytest.raises(InvalidInput, match="another customer"):
        returns.open_return(session=session, ticket_id=shipped.ticket_id, shipment_id=other.shipment.id, actor=ACTOR,
                            lines=[ReturnLineCreate(shipment_line_id=other.shipment.lines[0].id,
                                                    quantity=Decimal("1"))])


def test_receiving_more_than_authorized_is_refused(session: Session) -> None:
    rma = open_rma(session, ship(session), "2")

    with pytest.raises(InvalidInput, match="exceed"):
        returns.receive_return(session=session, return_id=rma.id,
                               lines=[ReceivedLine(line_id=rma.lines[0].id, quantity=Decimal("2.001"))])


def test_status_follows_receiving_inspection_and_resolution(session: Session) -> None:
    shipped = ship(session)
    rma = open_rma(session, shipped, "4")
    line_id = rma.lines[0].id
    seen = [rma.status]
    returns.receive_return(session=session, return_id=rma.id,
                           lines=[ReceivedLine(line_id=line_id, quantity=Decimal("1"))])
    seen.append(rma.status)
    returns.receive_return(session=session, return_id=rma.id)
    seen.append(rma.status)
    returns.inspect_return(session=session, return_id=rma.id, lines=[
        InspectedLine(line_id=line_id, result=InspectionResult.DAMAGED, disposition=Disposition.SCRAP)])
    seen.append(rma.status)
    resolutions.replace_return(session=session, return_id=rma.id, actor=ACTOR)
    seen.append(rma.status)

    assert seen == [ReturnStatus.AUTHORIZED, ReturnStatus.PARTIALLY_RECEIVED, ReturnStatus.RECEIVED,
                    ReturnStatus.INSPECTED, ReturnStatus.RESOLVED]


def test_receiving_alone_does_not_change_stock(session: Session) -> None:
    shipped = ship(session)
    before = on_hand(session, shipped)
    rma = open_rma(session, shipped, "2")

    returns.receive_return(session=session, return_id=rma.id)

    assert on_hand(session, shipped) == before


def test_restocking_moves_the_goods_back_into_the_warehouse(session: Session) -> None:
    shipped = ship(session)
    before = on_hand(session, shipped)
    rma = inspected(session, shipped, "2", Disposition.RESTOCK)

    moves = returns.restock_return(session=session, return_id=rma.id, actor=ACTOR)

    assert on_hand(session, shipped) == before + Decimal("2")
    assert [(m.kind, m.quantity, m.reference, m.warehouse_id) for m in moves] == [
        (MoveKind.RECEIPT, Decimal("2"), rma.number, shipped.warehouse.id)]


def test_restocking_twice_adds_the_goods_once(session: Session) -> None:
    shipped = ship(session)
    before = on_hand(session, shipped)
    rma = inspected(session, shipped, "2", Disposition.RESTOCK)
    returns.restock_return(session=session, return_id=rma.id, actor=ACTOR)

    assert returns.restock_return(session=session, return_id=rma.id, actor=ACTOR) == []
    assert on_hand(session, shipped) == before + Decimal("2")


def test_scrapped_goods_are_recorded_without_entering_stock(session: Session) -> None:
    shipped = ship(session)
    before = on_hand(session, shipped)
    rma = inspected(session, shipped, "2", Disposition.SCRAP)

    assert returns.restock_return(session=session, return_id=rma.id, actor=ACTOR) == []
    assert on_hand(session, shipped) == before
    assert rma.lines[0].scrapped_qty == Decimal("2")
    moves = session.scalars(select(StockMove).where(StockMove.reference == rma.number)).all()
    assert moves == []


def test_repair_is_tracked_until_completed(session: Session) -> None:
    rma = inspected(session, ship(session), "1", Disposition.REPAIR)
    assert rma.lines[0].repaired_at is None

    line = returns.complete_repair(session=session, return_id=rma.id, line_id=rma.lines[0].id)

    assert line.repaired_at is not None


def test_a_pending_restock_keeps_a_resolved_return_from_counting_as_resolved(session: Session) -> None:
    shipped = ship(session)
    rma = inspected(session, shipped, "1", Disposition.RESTOCK)
    resolutions.replace_return(session=session, return_id=rma.id, actor=ACTOR)
    assert rma.status is ReturnStatus.INSPECTED

    returns.restock_return(session=session, return_id=rma.id, actor=ACTOR)

    assert rma.status is ReturnStatus.RESOLVED


def test_resolving_before_inspection_is_refused(session: Session) -> None:
    rma = open_rma(session, ship(session), "1")
    returns.receive_return(session=session, return_id=rma.id)

    with pytest.raises(InvalidInput, match="inspect"):
        resolutions.replace_return(session=session, return_id=rma.id, actor=ACTOR)


def test_refund_issues_a_credit_note_for_the_returned_goods_value(session: Session) -> None:
    shipped = ship(session, "5", "19.99")
    rma = inspected(session, shipped, "3", Disposition.RESTOCK)

    resolutions.refund_return(session=session, return_id=rma.id, actor=ACTOR)

    assert (rma.resolution, rma.refund_amount) == (ReturnResolution.REFUND, Decimal("59.97"))
    assert rma.credit_note_number is not None and rma.credit_note_number.startswith("CN")


def test_refund_above_the_goods_value_is_refused(session: Session) -> None:
    rma = inspected(session, ship(session, "5", "10.00"), "1", Disposition.SCRAP)

    with pytest.raises(InvalidInput, match="at most"):
        resolutions.refund_return(session=session, return_id=rma.id, actor=ACTOR, amount=Decimal("10.01"))


def test_a_return_is_resolved_only_once(session: Session) -> None:
    rma = inspected(session, ship(session), "1", Disposition.SCRAP)
    resolutions.refund_return(session=session, return_id=rma.id, actor=ACTOR, amount=Decimal("5.00"))

    with pytest.raises(Conflict, match="already resolved"):
        resolutions.replace_return(session=session, return_id=rma.id, actor=ACTOR)


def test_replacement_is_a_confirmed_zero_priced_order_of_the_received_goods(session: Session) -> None:
    shipped = ship(session)
    rma = inspected(session, shipped, "2", Disposition.SCRAP)

    resolutions.replace_return(session=session, return_id=rma.id, actor=ACTOR)

    assert rma.replacement_order_id is not None
    order = get_order(session=session, order_id=rma.replacement_order_id)
    assert (order.customer_id, order.business_key, order.status, order.total) == (
        shipped.customer.id, rma.number, OrderStatus.CONFIRMED, Decimal("0.00"))
    assert [(line.item_id, line.quantity) for line in order.lines] == [(shipped.item.id, Decimal("2"))]


def test_return_list_status_filter_matches_the_derived_status(session: Session) -> None:
    shipped = ship(session, "10")
    authorized = open_rma(session, shipped, "1")
    partly = open_rma(session, shipped, "2")
    returns.receive_return(session=session, return_id=partly.id,
                           lines=[ReceivedLine(line_id=partly.lines[0].id, quantity=Decimal("1"))])
    received = open_rma(session, shipped, "1")
    returns.receive_return(session=session, return_id=received.id)
    done = inspected(session, shipped, "1", Disposition.SCRAP)
    resolutions.replace_return(session=session, return_id=done.id, actor=ACTOR)
    mine = [authorized, partly, received, done]

    for status in ReturnStatus:
        listed = returns.list_returns(session=session, status=status, customer_id=shipped.customer.id)
        assert {r.id for r in listed} == {r.id for r in mine if r.status is status}, status
