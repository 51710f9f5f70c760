"""Stock: the move ledger, balances and their constraints, reservations and shipments."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.errors import Conflict, InvalidInput
from domain.inventory import service
from domain.inventory.models import Item, MoveKind, Reservation, ReservationStatus, StockBalance, StockMove, Warehouse
from domain.inventory.operators import reserve_stock, ship_order
from tests.factories import ACTOR, make_customer, make_item, make_order, make_warehouse, receive


def _balance(session: Session, item: Item, warehouse: Warehouse) -> StockBalance:
    session.expire_all()
    balance = session.get(StockBalance, (item.id, warehouse.id))
    assert balance is not None
    return balance


def test_receiving_stock_posts_a_receipt_and_raises_on_hand(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)

    move = receive(session, item, warehouse, "12.5")

    assert (move.kind, move.quantity, move.created_by) == (MoveKind.RECEIPT, Decimal("12.5"), ACTOR)
    assert _balance(session, item, warehouse).on_hand == Decimal("12.500")


def test_receiving_a_non_positive_quantity_is_rejected(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)

    with pytest.raises(InvalidInput):
        receive(session, item, warehouse, "0")


def test_receiving_more_than_three_decimal_places_is_rejected(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)

    with pytest.raises(InvalidInput):
        receive(session, item, warehouse, "1.0005")


def test_duplicate_sku_is_a_conflict(session: Session) -> None:
    make_item(session, sku="BOLT-M6")

    with pytest.raises(Conflict):
        make_item(session, sku="BOLT-M6")


def test_available_is_on_hand_less_reserved_over_all_warehouses(session: Session) -> None:
    item, north, south = make_item(session), make_warehouse(session), make_warehouse(session)
    receive(session, item, north, "5")
    receive(session, item, south, "3")
    service.reserve_for_order(session=session, order_id=make_order(session, make_customer(session), (item, "6")).id)

    assert service.available(session=session, item_id=item.id) == Decimal("2.000")


def test_reserving_takes_the_fullest_warehouse_first(session: Session) -> None:
    item, small, big = make_item(session), make_warehouse(session), make_warehouse(session)
    receive(session, item, small, "2")
    receive(session, item, big, "10")
    order = make_order(session, make_customer(session), (item, "4"))

    outcome = service.reserve_for_order(session=session, order_id=order.id)

    assert [(a.warehouse_id, a.quantity) for a in outcome.reserved] == [(big.id, Decimal("4.000"))]


def test_reserving_splits_a_line_across_warehouses(session: Session) -> None:
    item, north, south = make_item(session), make_warehouse(session), make_warehouse(session)
    receive(session, item, north, "3")
    receive(session, item, south, "2")
    order = make_order(session, make_customer(session), (item, "5"))

    outcome = service.reserve_for_order(session=session, order_id=order.id)

    assert outcome.fully_reserved
    assert sorted((a.warehouse_id, a.quantity) for a in outcome.reserved) == [(north.id, 3), (south.id, 2)]


def test_reserving_reports_the_shortage(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    receive(session, item, warehouse, "3")
    order = make_order(session, make_customer(session), (item, "5"))

    outcome = service.reserve_for_order(session=session, order_id=order.id)

    assert not outcome.fully_reserved
    assert [(s.item_sku, s.quantity) for s in outcome.shortages] == [(item.sku, Decimal("2.000"))]


def test_reserving_twice_does_not_double_reserve(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    receive(session, item, warehouse, "10")
    order = make_order(session, make_customer(session), (item, "4"))
    first = service.reserve_for_order(session=session, order_id=order.id)

    second = service.reserve_for_order(session=session, order_id=order.id)

    assert second == first
    assert _balance(session, item, warehouse).reserved == Decimal("4.000")


def test_reserving_again_after_a_receipt_fills_the_shortage(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    receive(session, item, warehouse, "1")
    order = make_order(session, make_customer(session), (item, "4"))
    service.reserve_for_order(session=session, order_id=order.id)
    receive(session, item, warehouse, "5")

    outcome = service.reserve_for_order(session=session, order_id=order.id)

    assert outcome.fully_reserved
    assert _balance(session, item, warehouse).reserved == Decimal("4.000")


def test_shipping_posts_moves_that_sum_to_on_hand(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    receive(session, item, warehouse, "10")
    order = make_order(session, make_customer(session), (item, "3.25"))
    service.reserve_for_order(session=session, order_id=order.id)

    service.ship_order(session=session, order_id=order.id, actor=ACTOR)

    moves = select(func.sum(StockMove.quantity)).where(StockMove.item_id == item.id)
    assert session.scalar(moves) == _balance(session, item, warehouse).on_hand == Decimal("6.750")


def test_shipping_consumes_reservations_and_marks_lines_delivered(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    receive(session, item, warehouse, "10")
    order = make_order(session, make_customer(session), (item, "4"))
    service.reserve_for_order(session=session, order_id=order.id)

    outcome = service.ship_order(session=session, order_id=order.id, actor=ACTOR)

    assert [(a.item_sku, a.quantity) for a in outcome.shipped] == [(item.sku, Decimal("4.000"))]
    assert order.lines[0].delivered_qty == Decimal("4.000")
    assert _balance(session, item, warehouse).reserved == 0


def test_shipping_without_reserved_stock_is_rejected(session: Session) -> None:
    order = make_order(session, make_customer(session), (make_item(session), "1"))

    with pytest.raises(InvalidInput):
        service.ship_order(session=session, order_id=order.id, actor=ACTOR)


def test_releasing_gives_reserved_stock_back(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    receive(session, item, warehouse, "10")
    order = make_order(session, make_customer(session), (item, "4"))
    service.reserve_for_order(session=session, order_id=order.id)

    released = service.release_for_order(session=session, order_id=order.id)

    assert [a.quantity for a in released] == [Decimal("4.000")]
    assert service.available(session=session, item_id=item.id) == Decimal("10.000")


def test_adjustment_cannot_take_on_hand_below_reserved(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    receive(session, item, warehouse, "5")
    service.reserve_for_order(session=session, order_id=make_order(session, make_customer(session), (item, "4")).id)

    with pytest.raises(InvalidInput):
        service.adjust_stock(
            session=session,
            item_id=item.id,
            warehouse_id=warehouse.id,
            quantity=Decimal("-2"),
            reference="count",
            actor=ACTOR,
        )


def test_balance_check_constraint_rejects_negative_reserved(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    receive(session, item, warehouse, "5")
    negative = update(StockBalance).where(StockBalance.item_id == item.id).values(reserved=Decimal("-1"))

    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(negative)


def test_balance_check_constraint_rejects_reserved_above_on_hand(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    receive(session, item, warehouse, "5")
    too_much = update(StockBalance).where(StockBalance.item_id == item.id).values(reserved=Decimal("6"))

    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(too_much)


def test_stock_moves_cannot_be_changed(session: Session) -> None:
    move = receive(session, make_item(session), make_warehouse(session), "5")
    move.quantity = Decimal("50")

    with pytest.raises(RuntimeError, match="append-only"):
        session.flush()


def test_reserve_stock_operator_sums_per_sku(session: Session) -> None:
    item, north, south = make_item(session), make_warehouse(session), make_warehouse(session)
    receive(session, item, north, "2")
    receive(session, item, south, "2")
    order = make_order(session, make_customer(session), (item, "3"), (item, "2"))

    result = reserve_stock(session=session, order_id=order.id)

    assert result == {
        "order_id": order.id,
        "fully_reserved": False,
        "reserved": [{"item_sku": item.sku, "quantity": Decimal("4.000")}],
        "shortages": [{"item_sku": item.sku, "quantity": Decimal("1.000")}],
    }


def test_ship_order_operator_reports_what_left(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    receive(session, item, warehouse, "9")
    order = make_order(session, make_customer(session), (item, "3"))
    reserve_stock(session=session, order_id=order.id)

    result = ship_order(session=session, order_id=order.id)

    shipment = service.list_shipments(session=session, sales_order_id=order.id)[0]
    assert result == {
        "order_id": order.id,
        "shipment_id": shipment.id,
        "shipment_number": shipment.number,
        "shipped": [{"item_sku": item.sku, "quantity": Decimal("3.000")}],
    }
    statuses = session.scalars(select(Reservation.status).where(Reservation.item_id == item.id)).all()
    assert statuses == [ReservationStatus.CONSUMED]
