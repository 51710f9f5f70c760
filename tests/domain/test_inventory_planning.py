"""Stock planning: available-to-promise with incoming purchase orders, and the reorder-point check."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from domain.inventory import planning, service
from domain.inventory.schemas import ReplenishmentUpdate
from domain.procurement import service as procurement
from domain.procurement.models import Decision
from domain.procurement.schemas import ApprovalCreate
from tests.factories import make_customer, make_item, make_order, make_warehouse, receive
from tests.procurement_factories import make_purchase_order, make_request, make_supplier, receive_goods


def _reorder_item(session: Session, point: str, quantity: str = "50"):  # type: ignore[no-untyped-def]
    item = make_item(session)
    settings = ReplenishmentUpdate(
        safety_stock=Decimal("2"), reorder_point=Decimal(point), reorder_quantity=Decimal(quantity), lead_time_days=5
    )
    return service.set_replenishment(session=session, item_id=item.id, data=settings)


def test_atp_is_available_stock_without_purchases(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    receive(session, item, warehouse, "8")
    service.reserve_for_order(session=session, order_id=make_order(session, make_customer(session), (item, "3")).id)

    assert planning.atp(session=session, item_id=item.id) == Decimal("5.000")


def test_atp_counts_open_purchase_orders_expected_by_the_date(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    supplier = make_supplier(session, (item, "1.00"), lead_time_days=10)
    make_purchase_order(session, supplier, warehouse, (item, "6"), order_date=date(2026, 1, 1))  # expected Jan 11

    assert planning.atp(session=session, item_id=item.id, by=date(2026, 1, 10)) == Decimal("0")
    assert planning.atp(session=session, item_id=item.id, by=date(2026, 1, 11)) == Decimal("6.000")


def test_atp_counts_only_the_part_not_yet_accepted(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    order = make_purchase_order(session, make_supplier(session, (item, "1.00")), warehouse, (item, "6"))
    receive_goods(session, order, (0, "4", "1"))

    assert planning.atp(session=session, item_id=item.id, warehouse_id=warehouse.id) == Decimal("6.000")


def test_item_below_its_reorder_point_is_a_breach(session: Session) -> None:
    item, warehouse = _reorder_item(session, "10"), make_warehouse(session)
    receive(session, item, warehouse, "4")

    breaches = {b.item_id: b for b in planning.items_below_reorder_point(session=session)}

    assert (breaches[item.id].projected, breaches[item.id].suggested_quantity) == (Decimal("4.000"), Decimal("50.000"))


def test_open_purchase_orders_lift_an_item_above_its_reorder_point(session: Session) -> None:
    item, warehouse = _reorder_item(session, "10"), make_warehouse(session)
    receive(session, item, warehouse, "4")
    make_purchase_order(session, make_supplier(session, (item, "1.00")), warehouse, (item, "6"))

    assert item.id not in {b.item_id for b in planning.items_below_reorder_point(session=session)}


def test_an_item_with_an_open_request_is_not_reported_again(session: Session) -> None:
    item = _reorder_item(session, "10")
    make_request(session, item, "1")

    assert item.id not in {b.item_id for b in planning.items_below_reorder_point(session=session)}


def test_a_rejected_request_does_not_hide_the_breach(session: Session) -> None:
    item = _reorder_item(session, "10")
    request = make_request(session, item, "1")
    data = ApprovalCreate(step=1, decision=Decision.REJECTED)
    procurement.record_approval(session=session, request_id=request.id, data=data, actor="lead")

    assert item.id in {b.item_id for b in planning.items_below_reorder_point(session=session)}


def test_suggested_quantity_covers_the_gap_when_larger_than_the_reorder_quantity(session: Session) -> None:
    item = _reorder_item(session, "80", quantity="20")

    [breach] = [b for b in planning.items_below_reorder_point(session=session) if b.item_id == item.id]

    assert breach.suggested_quantity == Decimal("80.000")


def test_items_without_a_reorder_point_are_never_breaches(session: Session) -> None:
    item = make_item(session)

    assert item.id not in {b.item_id for b in planning.items_below_reorder_point(session=session)}


def test_stock_position_shows_on_hand_reserved_available_and_atp(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    receive(session, item, warehouse, "9")
    service.reserve_for_order(session=session, order_id=make_order(session, make_customer(session), (item, "2")).id)
    make_purchase_order(session, make_supplier(session, (item, "1.00")), warehouse, (item, "5"))

    [position] = planning.stock_positions(session=session, search=item.sku)

    assert (position.on_hand, position.reserved, position.available, position.atp) == (
        Decimal("9.000"),
        Decimal("2.000"),
        Decimal("7.000"),
        Decimal("12.000"),
    )
