"""Suppliers: on-time and acceptance rates derived from receipts, and choosing the best supplier for an item."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from domain.errors import Conflict, NotFound
from domain.procurement import service
from domain.procurement.schemas import SupplierCreate
from tests.factories import make_item, make_warehouse
from tests.procurement_factories import make_purchase_order, make_supplier, receive_goods

JAN_1 = date(2026, 1, 1)


def test_duplicate_supplier_code_is_a_conflict(session: Session) -> None:
    make_supplier(session, code="ACME")

    with pytest.raises(Conflict):
        service.create_supplier(session=session, data=SupplierCreate(code="ACME", name="Other"))


def test_supplier_without_receipts_has_no_rates(session: Session) -> None:
    supplier = make_supplier(session)

    rates = service.supplier_performance(session=session, supplier_ids=[supplier.id])[supplier.id]

    assert (rates.receipts, rates.on_time_rate, rates.acceptance_rate) == (0, None, None)


def test_on_time_rate_counts_receipts_on_or_before_the_expected_date(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    supplier = make_supplier(session, (item, "2.00"), lead_time_days=5)
    order = make_purchase_order(session, supplier, warehouse, (item, "30"), order_date=JAN_1)  # expected Jan 6
    receive_goods(session, order, (0, "10", "0"), received_on=date(2026, 1, 6))
    receive_goods(session, order, (0, "10", "0"), received_on=date(2026, 1, 2))
    receive_goods(session, order, (0, "10", "0"), received_on=date(2026, 1, 7))

    rates = service.supplier_performance(session=session, supplier_ids=[supplier.id])[supplier.id]

    assert (rates.receipts, rates.on_time_receipts, rates.on_time_rate) == (3, 2, Decimal("0.6667"))


def test_acceptance_rate_is_accepted_over_received_quantity(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    supplier = make_supplier(session, (item, "2.00"))
    order = make_purchase_order(session, supplier, warehouse, (item, "10"), order_date=JAN_1)
    receive_goods(session, order, (0, "4", "1"), received_on=JAN_1)
    receive_goods(session, order, (0, "4", "0"), received_on=JAN_1)

    rates = service.supplier_performance(session=session, supplier_ids=[supplier.id])[supplier.id]

    assert (rates.received_qty, rates.accepted_qty, rates.acceptance_rate) == (
        Decimal("8.000"),
        Decimal("7.000"),
        Decimal("0.8750"),
    )


def test_best_supplier_has_the_highest_on_time_rate(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    late = make_supplier(session, (item, "1.00"), lead_time_days=1)
    punctual = make_supplier(session, (item, "1.00"), lead_time_days=9)
    for supplier, received_on in ((late, date(2026, 1, 20)), (punctual, date(2026, 1, 3))):
        order = make_purchase_order(session, supplier, warehouse, (item, "1"), order_date=JAN_1)
        receive_goods(session, order, (0, "1", "0"), received_on=received_on)

    assert service.choose_supplier(session=session, item_id=item.id).id == punctual.id


def test_equal_rates_prefer_the_shorter_lead_time(session: Session) -> None:
    item = make_item(session)
    make_supplier(session, (item, "1.00"), lead_time_days=10)
    quick = make_supplier(session, (item, "1.00"), lead_time_days=3)

    assert service.choose_supplier(session=session, item_id=item.id).id == quick.id


def test_a_proven_supplier_ranks_before_an_unrated_one(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    make_supplier(session, (item, "1.00"), lead_time_days=1)
    proven = make_supplier(session, (item, "1.00"), lead_time_days=20)
    order = make_purchase_order(session, proven, warehouse, (item, "1"), order_date=JAN_1)
    receive_goods(session, order, (0, "1", "0"), received_on=JAN_1)

    assert service.choose_supplier(session=session, item_id=item.id).id == proven.id


def test_choosing_a_supplier_for_an_item_nobody_offers_is_not_found(session: Session) -> None:
    item = make_item(session)
    make_supplier(session)

    with pytest.raises(NotFound):
        service.choose_supplier(session=session, item_id=item.id)
