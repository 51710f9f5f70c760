"""Purchase orders from approved requests: supplier choice, prices, expected date, derived status."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from domain.procurement import orders
from domain.procurement.models import OrderStatus
from tests.factories import ACTOR, make_item, make_warehouse
from tests.procurement_factories import approve, make_purchase_order, make_request, make_supplier, receive_goods


def test_expected_date_is_order_date_plus_the_supplier_lead_time(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    supplier = make_supplier(session, (item, "3.00"), lead_time_days=12)

    order = make_purchase_order(session, supplier, warehouse, (item, "4"), order_date=date(2026, 3, 25))

    assert (order.number, order.expected_date) == (f"PO{order.id:06d}", date(2026, 4, 6))


def test_requests_for_the_same_item_become_one_line(session: Session) -> None:
    item, other, warehouse = make_item(session), make_item(session), make_warehouse(session)
    supplier = make_supplier(session, (item, "3.00"), (other, "1.50"))

    order = make_purchase_order(session, supplier, warehouse, (item, "4"), (other, "2"), (item, "6"))

    assert [(line.item_id, line.quantity, line.unit_price) for line in order.lines] == [
        (item.id, Decimal("10.000"), Decimal("3.00")),
        (other.id, Decimal("2.000"), Decimal("1.50")),
    ]
    assert order.total == Decimal("33.00")


def test_without_a_supplier_the_best_one_for_the_item_is_used(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    make_supplier(session, (item, "3.00"), lead_time_days=9)
    quick = make_supplier(session, (item, "3.50"), lead_time_days=2, currency="USD")
    request = approve(session, make_request(session, item, "1"))

    order = orders.create_purchase_order(
        session=session, request_ids=[request.id], warehouse_id=warehouse.id, actor=ACTOR
    )

    assert (order.supplier_id, order.currency, order.lines[0].unit_price) == (quick.id, "USD", Decimal("3.50"))


def test_an_item_the_supplier_has_no_price_for_is_ordered_at_its_cost(session: Session) -> None:
    item, warehouse = make_item(session, unit_cost=Decimal("6.25")), make_warehouse(session)
    supplier = make_supplier(session)

    order = make_purchase_order(session, supplier, warehouse, (item, "1"))

    assert order.lines[0].unit_price == Decimal("6.25")


def test_status_follows_accepted_quantities(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    order = make_purchase_order(session, make_supplier(session, (item, "1.00")), warehouse, (item, "10"))
    assert order.status == OrderStatus.OPEN

    receive_goods(session, order, (0, "4", "0"))
    assert order.status == OrderStatus.PARTIALLY_RECEIVED

    receive_goods(session, order, (0, "6", "0"))
    assert order.status == OrderStatus.RECEIVED


def test_rejected_goods_do_not_count_as_received(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    order = make_purchase_order(session, make_supplier(session, (item, "1.00")), warehouse, (item, "10"))

    receive_goods(session, order, (0, "10", "3"))

    assert (order.status, order.lines[0].open_qty) == (OrderStatus.PARTIALLY_RECEIVED, Decimal("3.000"))


def test_orders_are_found_by_supplier_name(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    wanted = make_purchase_order(
        session, make_supplier(session, (item, "1.00"), name="Zephyr Castings"), warehouse, (item, "1")
    )
    make_purchase_order(session, make_supplier(session, (item, "1.00"), name="Other"), warehouse, (item, "1"))

    found = orders.list_purchase_orders(session=session, search="zephyr")

    assert [o.id for o in found] == [wanted.id]
