"""Procurement operators: the results a process gateway or DMN decides on, called through the engine registry."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from domain.errors import InvalidInput
from domain.inventory.schemas import ReplenishmentUpdate
from domain.inventory.service import reserve_for_order, set_replenishment
from engine import services
from tests.factories import make_customer, make_item, make_order, make_warehouse, receive
from tests.procurement_factories import make_purchase_order, make_supplier


def _call(session: Session, name: str, **params: Any) -> dict[str, Any]:
    return services.call(session=session, name=name, params=params)


def test_every_procurement_operator_is_registered() -> None:
    names = {n for n in services.registry() if n.startswith("procurement.")}

    assert names == {
        "procurement.create_purchase_request",
        "procurement.create_reorder_requests",
        "procurement.set_approval_steps",
        "procurement.record_approval",
        "procurement.choose_supplier",
        "procurement.create_purchase_order",
        "procurement.get_purchase_order",
        "procurement.record_goods_receipt",
        "procurement.return_rejected",
        "procurement.register_supplier_invoice",
        "procurement.match_supplier_invoice",
        "procurement.approve_supplier_invoice",
        "procurement.pay_supplier_invoice",
    }
    assert "inventory.find_reorder_breaches" in services.registry()


def test_shortage_from_reserve_stock_becomes_requests_for_the_waiting_instance(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    receive(session, item, warehouse, "2")
    order = make_order(session, make_customer(session), (item, "5"))
    reservation = _call(session, "inventory.reserve_stock", order_id=order.id)

    result = _call(
        session, "procurement.create_purchase_request",
        lines=reservation["shortages"], sales_order_id=order.id, business_key="L2C-7",
    )  # fmt: skip

    assert [(r["item_sku"], r["quantity"], r["status"]) for r in result["requests"]] == [
        (item.sku, Decimal("3.000"), "pending")
    ]


def test_approval_result_tells_the_gateway_whether_to_go_on(session: Session) -> None:
    item = make_item(session)
    request_id = _call(session, "procurement.create_purchase_request", lines=[{"item_sku": item.sku, "quantity": "2"}])[
        "request_ids"
    ][0]

    result = _call(
        session, "procurement.record_approval", request_id=request_id, step=1, decision="rejected", approver="lead"
    )

    assert (result["approved"], result["rejected"], result["status"]) == (False, True, "rejected")


def test_procure_receive_return_invoice_and_pay(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    make_supplier(session, (item, "4.00"), lead_time_days=2)
    [request_id] = _call(
        session, "procurement.create_purchase_request", lines=[{"item_sku": item.sku, "quantity": "10"}]
    )["request_ids"]
    _call(session, "procurement.record_approval", request_id=request_id, step=1, decision="approved", approver="lead")
    chosen = _call(session, "procurement.choose_supplier", request_id=request_id)
    order = _call(
        session, "procurement.create_purchase_order",
        request_ids=[request_id], supplier_id=chosen["supplier_id"], warehouse_id=warehouse.id,
    )  # fmt: skip
    line_id = order["lines"][0]["line_id"]

    receipt = _call(
        session, "procurement.record_goods_receipt", purchase_order_id=order["id"],
        lines=[{"purchase_order_line_id": line_id, "received_qty": "10", "rejected_qty": "1"}],
    )  # fmt: skip
    returned = _call(session, "procurement.return_rejected", receipt_id=receipt["receipt_id"])
    invoice = _call(
        session, "procurement.register_supplier_invoice", purchase_order_id=order["id"], supplier_number="S-1",
        invoice_date=date(2026, 3, 1),
        lines=[{"purchase_order_line_id": line_id, "quantity": "9", "unit_price": "4.00"}],
    )  # fmt: skip
    match = _call(session, "procurement.match_supplier_invoice", invoice_id=invoice["id"])
    paid = _call(session, "procurement.pay_supplier_invoice", invoice_id=invoice["id"], reference="bank 1")

    assert (receipt["has_rejections"], receipt["accepted_qty"], receipt["fully_received"]) == (
        True, Decimal("9.000"), False,
    )  # fmt: skip
    assert returned["returned_qty"] == Decimal("1.000")
    assert (match["matched"], match["mismatch_count"]) == (True, 0)
    assert (paid["amount"], paid["fully_paid"]) == (Decimal("36.00"), True)


def test_receipt_without_lines_takes_everything_open_and_names_the_waiting_orders(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    make_supplier(session, (item, "1.00"))
    order = make_order(session, make_customer(session), (item, "3"))
    reserve_for_order(session=session, order_id=order.id)
    [request_id] = _call(
        session, "procurement.create_purchase_request",
        lines=[{"item_sku": item.sku, "quantity": "3"}], sales_order_id=order.id, business_key="L2C-9", instance_id=41,
    )["request_ids"]  # fmt: skip
    _call(session, "procurement.record_approval", request_id=request_id, step=1, decision="approved", approver="lead")
    purchase = _call(session, "procurement.create_purchase_order", request_ids=[request_id], warehouse_id=warehouse.id)

    receipt = _call(session, "procurement.record_goods_receipt", purchase_order_id=purchase["id"])

    assert (receipt["fully_received"], receipt["accepted_qty"]) == (True, Decimal("3.000"))
    assert receipt["waiting"] == [{"sales_order_id": order.id, "business_key": "L2C-9", "instance_id": 41}]


def test_mismatch_result_lists_the_reasons(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    make_supplier(session, (item, "4.00"))
    [request_id] = _call(
        session, "procurement.create_purchase_request", lines=[{"item_sku": item.sku, "quantity": "5"}]
    )["request_ids"]
    _call(session, "procurement.record_approval", request_id=request_id, step=1, decision="approved", approver="lead")
    order = _call(session, "procurement.create_purchase_order", request_ids=[request_id], warehouse_id=warehouse.id)
    invoice = _call(
        session, "procurement.register_supplier_invoice", purchase_order_id=order["id"], supplier_number="S-2",
        invoice_date=date(2026, 3, 1),
        lines=[{"purchase_order_line_id": order["lines"][0]["line_id"], "quantity": "5", "unit_price": "4.00"}],
    )  # fmt: skip

    match = _call(session, "procurement.match_supplier_invoice", invoice_id=invoice["id"])

    assert (match["matched"], [m["reason"] for m in match["mismatches"]]) == (
        False, ["quantity_not_received", "total_differs"],
    )  # fmt: skip


def test_reorder_check_finds_breaches_and_requests_them_once(session: Session) -> None:
    item = make_item(session)
    settings = ReplenishmentUpdate(
        safety_stock=Decimal("0"), reorder_point=Decimal("4"), reorder_quantity=Decimal("12"), lead_time_days=3
    )
    set_replenishment(session=session, item_id=item.id, data=settings)
    found = _call(session, "inventory.find_reorder_breaches")
    assert item.sku in {b["item_sku"] for b in found["breaches"]} and found["any"]

    created = _call(session, "procurement.create_reorder_requests")
    again = _call(session, "procurement.create_reorder_requests")

    assert (item.sku, Decimal("12.000")) in {(r["item_sku"], r["quantity"]) for r in created["requests"]}
    assert item.sku not in {r["item_sku"] for r in again["requests"]}


def test_choose_supplier_needs_an_item_or_a_request(session: Session) -> None:
    with pytest.raises(InvalidInput):
        _call(session, "procurement.choose_supplier")


def test_request_result_carries_the_value_for_the_approval_rule(session: Session) -> None:
    item = make_item(session, unit_cost=Decimal("2.50"))

    result = _call(session, "procurement.create_purchase_request", lines=[{"item_sku": item.sku, "quantity": "4"}])

    assert (result["requests"][0]["estimated_value"], result["total_value"]) == (Decimal("10.00"), Decimal("10.00"))
    steps = _call(session, "procurement.set_approval_steps", request_id=result["request_ids"][0], steps=2)
    assert (steps["required_steps"], steps["next_step"]) == (2, 1)


def test_an_order_past_its_expected_date_with_goods_open_is_overdue(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    supplier = make_supplier(session, (item, "1.00"), lead_time_days=3)
    order = make_purchase_order(session, supplier, warehouse, (item, "4"), order_date=date(2020, 1, 1))

    status = _call(session, "procurement.get_purchase_order", purchase_order_id=order.id)
    _call(session, "procurement.record_goods_receipt", purchase_order_id=order.id)
    after = _call(session, "procurement.get_purchase_order", purchase_order_id=order.id)

    assert (status["overdue"], status["fully_received"], status["lines"][0]["open_qty"]) == (
        True, False, Decimal("4.000"),
    )  # fmt: skip
    assert (after["overdue"], after["status"]) == (False, "received")
