"""Shipping an order records a numbered shipment with one line per reservation it ships."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.inventory import service
from domain.inventory.models import Shipment, ShipmentLine, StockMove
from tests.factories import ACTOR, make_customer, make_item, make_order, make_warehouse, receive


def test_shipping_records_a_numbered_shipment_for_the_order(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    receive(session, item, warehouse, "5")
    order = make_order(session, make_customer(session), (item, "2"))
    service.reserve_for_order(session=session, order_id=order.id)

    outcome = service.ship_order(session=session, order_id=order.id, actor=ACTOR)

    shipment = service.get_shipment(session=session, shipment_id=outcome.shipment_id)
    assert (shipment.number, shipment.sales_order_id, shipment.shipped_by) == (
        f"SH{shipment.id:06d}",
        order.id,
        ACTOR,
    )
    assert outcome.shipment_number == shipment.number


def test_shipment_has_a_line_per_reservation_shipped(session: Session) -> None:
    item, north, south = make_item(session), make_warehouse(session), make_warehouse(session)
    receive(session, item, north, "3")
    receive(session, item, south, "2")
    order = make_order(session, make_customer(session), (item, "5"))
    service.reserve_for_order(session=session, order_id=order.id)

    outcome = service.ship_order(session=session, order_id=order.id, actor=ACTOR)

    lines = service.get_shipment(session=session, shipment_id=outcome.shipment_id).lines
    assert sorted((ln.warehouse_id, ln.quantity) for ln in lines) == sorted(
        [(north.id, Decimal("3.000")), (south.id, Decimal("2.000"))]
    )
    assert {ln.sales_order_line_id for ln in lines} == {order.lines[0].id}


def test_each_partial_shipment_is_its_own_shipment(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    receive(session, item, warehouse, "1")
    order = make_order(session, make_customer(session), (item, "3"))
    service.reserve_for_order(session=session, order_id=order.id)
    first = service.ship_order(session=session, order_id=order.id, actor=ACTOR)
    receive(session, item, warehouse, "2")
    service.reserve_for_order(session=session, order_id=order.id)

    second = service.ship_order(session=session, order_id=order.id, actor=ACTOR)

    shipments = service.list_shipments(session=session, sales_order_id=order.id)
    assert [s.id for s in shipments] == [first.shipment_id, second.shipment_id]
    assert [sum(ln.quantity for ln in s.lines) for s in shipments] == [Decimal("1.000"), Decimal("2.000")]


def test_shipment_moves_reference_the_order_and_the_shipment(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    receive(session, item, warehouse, "4")
    order = make_order(session, make_customer(session), (item, "4"))
    service.reserve_for_order(session=session, order_id=order.id)

    outcome = service.ship_order(session=session, order_id=order.id, actor=ACTOR)

    references = session.scalars(select(StockMove.reference).where(StockMove.quantity < 0)).all()
    assert f"{order.number}/{outcome.shipment_number}" in references


def test_shipment_line_quantity_must_be_positive(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    receive(session, item, warehouse, "1")
    order = make_order(session, make_customer(session), (item, "1"))
    shipment = Shipment(number="SH-TEST-1", sales_order_id=order.id, shipped_by=ACTOR)
    shipment.lines.append(
        ShipmentLine(sales_order_line_id=order.lines[0].id, item_id=item.id, warehouse_id=warehouse.id, quantity=0)
    )
    session.add(shipment)

    with pytest.raises(IntegrityError):
        session.flush()
