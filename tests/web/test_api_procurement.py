"""The purchasing JSON API: suppliers with rates, requests (and one by hand), orders, receipts, invoices, stock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from domain.db import transaction
from domain.procurement import invoices
from domain.procurement.schemas import InvoiceLineCreate, SupplierInvoiceCreate
from tests.factories import ACTOR, make_item, make_warehouse
from tests.procurement_factories import make_purchase_order, make_supplier, receive_goods
from tests.web.conftest import unique

Headers = Callable[[str], dict[str, str]]


@pytest.fixture(scope="module")
def bought(world: None) -> dict[str, object]:
    """A supplier, an order of 5 fully received on time, and its matched invoice."""
    with transaction() as session:
        item, warehouse = make_item(session, sku=unique("BOLT"), name="Bolt"), make_warehouse(session)
        supplier = make_supplier(session, (item, "0.50"), code=unique("SUP"), lead_time_days=4)
        order = make_purchase_order(session, supplier, warehouse, (item, "5"), order_date=date(2026, 1, 1))
        receipt = receive_goods(session, order, (0, "5", "0"), received_on=date(2026, 1, 3))
        invoice = invoices.create_supplier_invoice(session=session, actor=ACTOR, data=SupplierInvoiceCreate(
            purchase_order_id=order.id, supplier_number=unique("INV"), invoice_date=date(2026, 1, 4),
            lines=[InvoiceLineCreate(purchase_order_line_id=order.lines[0].id, quantity=Decimal("5"),
                                     unit_price=Decimal("0.50"))]))
        invoices.match_supplier_invoice(session=session, invoice_id=invoice.id)
        return {"supplier": supplier.id, "code": supplier.code, "order": order.id, "receipt": receipt.id,
                "invoice": invoice.id, "item": item.id, "sku": item.sku}


def test_supplier_carries_its_derived_rates(client: TestClient, as_user: Headers, bought: dict[str, object]) -> None:
    body = client.get(f"/api/v1/suppliers/{bought['supplier']}", headers=as_user("buyer")).json()

    assert (body["code"], body["receipts"], body["on_time_rate"], body["acceptance_rate"]) == (
        bought["code"], 1, "1.0000", "1.0000")


def test_supplier_search(client: TestClient, as_user: Headers, bought: dict[str, object]) -> None:
    found = client.get("/api/v1/suppliers", params={"q": bought["code"]}, headers=as_user("buyer")).json()

    assert [s["id"] for s in found] == [bought["supplier"]]


def test_purchase_order_shows_derived_status_and_lines(
    client: TestClient, as_user: Headers, bought: dict[str, object]
) -> None:
    body = client.get(f"/api/v1/purchase-orders/{bought['order']}", headers=as_user("buyer")).json()

    assert (body["status"], body["expected_date"], body["lines"][0]["accepted_qty"]) == (
        "invoiced", "2026-01-05", "5.000")


def test_purchase_orders_filter_by_supplier(client: TestClient, as_user: Headers, bought: dict[str, object]) -> None:
    found = client.get("/api/v1/purchase-orders", params={"supplier_id": bought["supplier"]},
                       headers=as_user("buyer")).json()

    assert [o["id"] for o in found] == [bought["order"]]


def test_goods_receipt_reports_on_time(client: TestClient, as_user: Headers, bought: dict[str, object]) -> None:
    body = client.get(f"/api/v1/goods-receipts/{bought['receipt']}", headers=as_user("quality")).json()

    assert (body["on_time"], body["lines"][0]["rejected_qty"]) == (True, "0.000")


def test_supplier_invoice_reports_its_match(client: TestClient, as_user: Headers, bought: dict[str, object]) -> None:
    body = client.get(f"/api/v1/supplier-invoices/{bought['invoice']}", headers=as_user("finance")).json()

    assert (body["match_status"], body["mismatches"], body["payable"], body["total"]) == (
        "matched", [], True, "2.50")


def test_invoices_filter_by_match_status(client: TestClient, as_user: Headers, bought: dict[str, object]) -> None:
    params = {"match_status": "mismatch", "supplier_id": bought["supplier"]}
    found = client.get("/api/v1/supplier-invoices", params=params, headers=as_user("finance")).json()

    assert found == []


def test_a_request_by_hand_waits_for_approval(client: TestClient, as_user: Headers, bought: dict[str, object]) -> None:
    response = client.post("/api/v1/purchase-requests", json={"item_sku": bought["sku"], "quantity": "3"},
                           headers=as_user("buyer"))

    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["source"], body["status"], body["created_by"], body["next_step"]) == ("manual", "pending", "buyer", 1)


def test_a_request_for_an_unknown_item_is_not_found(client: TestClient, as_user: Headers) -> None:
    response = client.post("/api/v1/purchase-requests", json={"item_sku": "NO-SUCH-SKU", "quantity": "3"},
                           headers=as_user("buyer"))

    assert response.status_code == 404


def test_atp_counts_stock_and_open_orders(client: TestClient, as_user: Headers, bought: dict[str, object]) -> None:
    body = client.get(f"/api/v1/items/{bought['item']}/atp", headers=as_user("sales")).json()

    assert (body["sku"], body["atp"]) == (bought["sku"], "5.000")


def test_stock_positions_search_by_sku(client: TestClient, as_user: Headers, bought: dict[str, object]) -> None:
    found = client.get("/api/v1/stock-positions", params={"q": bought["sku"]}, headers=as_user("sales")).json()

    assert [(p["item_sku"], p["on_hand"], p["below_reorder_point"]) for p in found] == [(bought["sku"], "5.000", False)]


def test_the_api_needs_a_token(client: TestClient) -> None:
    assert client.get("/api/v1/purchase-orders").status_code == 401


def test_only_purchasing_raises_a_request(client: TestClient, as_user: Headers, bought: dict[str, object]) -> None:
    response = client.post("/api/v1/purchase-requests", json={"item_sku": bought["sku"], "quantity": "3"},
                           headers=as_user("sales"))

    assert response.status_code == 403 and response.json()["code"] == "not_purchasing"
