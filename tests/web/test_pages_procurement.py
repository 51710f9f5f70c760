"""Purchasing pages: suppliers with derived rates, requests, orders, receipts, invoices (match status), items."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from domain.db import transaction
from domain.inventory.schemas import ReplenishmentUpdate
from domain.inventory.service import set_replenishment
from domain.procurement import invoices, orders
from domain.procurement.schemas import InvoiceLineCreate, SupplierInvoiceCreate
from tests.factories import ACTOR, make_item, make_warehouse
from tests.procurement_factories import make_purchase_order, make_request, make_supplier, receive_goods
from tests.web.conftest import Browser, unique


@dataclass
class Purchasing:
    supplier_id: int
    supplier_code: str
    order_id: int
    order_number: str
    receipt_id: int
    receipt_number: str
    invoice_id: int
    invoice_number: str
    request_id: int
    request_number: str
    sku: str
    low_sku: str


@pytest.fixture(scope="module")
def purchasing(world: None) -> Purchasing:
    """An order of 10 received late with 2 rejected and returned, a mismatched invoice, an open request, a low item."""
    with transaction() as session:
        item, warehouse = make_item(session, sku=unique("VALVE"), name="Check valve"), make_warehouse(session)
        supplier = make_supplier(session, (item, "12.00"), code=unique("SUP"), name="Valve Works", lead_time_days=3)
        order = make_purchase_order(session, supplier, warehouse, (item, "10"), order_date=date(2026, 1, 1))
        receipt = receive_goods(session, order, (0, "10", "2"), received_on=date(2026, 1, 9))
        orders.return_rejected(session=session, receipt_id=receipt.id, reason="cracked", actor=ACTOR)
        invoice = invoices.create_supplier_invoice(session=session, actor=ACTOR, data=SupplierInvoiceCreate(
            purchase_order_id=order.id, supplier_number=unique("INV"), invoice_date=date(2026, 1, 10),
            lines=[InvoiceLineCreate(purchase_order_line_id=order.lines[0].id, quantity=Decimal("10"),
                                     unit_price=Decimal("12.00"))]))
        invoices.match_supplier_invoice(session=session, invoice_id=invoice.id)
        low = make_item(session, sku=unique("LOW"), name="Gasket")
        set_replenishment(session=session, item_id=low.id, data=ReplenishmentUpdate(
            safety_stock=Decimal("1"), reorder_point=Decimal("5"), reorder_quantity=Decimal("20"), lead_time_days=2))
        request = make_request(session, item, "4")
        return Purchasing(supplier.id, supplier.code, order.id, order.number, receipt.id, receipt.number,
                          invoice.id, invoice.number, request.id, request.number, item.sku, low.sku)


def test_supplier_list_shows_the_derived_rates(browser: Callable[..., Browser], purchasing: Purchasing) -> None:
    page = browser("buyer").get("/suppliers", params={"q": purchasing.supplier_code})

    assert page.status_code == 200
    assert purchasing.supplier_code in page.text
    assert '<td class="on-time">0 %</td>' in page.text
    assert '<td class="acceptance">80 %</td>' in page.text


def test_supplier_search_leaves_out_other_suppliers(browser: Callable[..., Browser], purchasing: Purchasing) -> None:
    page = browser("buyer").get("/suppliers", params={"q": "NO-SUCH-SUPPLIER"})

    assert f'href="/suppliers/{purchasing.supplier_id}"' not in page.text and "No suppliers match." in page.text


def test_supplier_page_explains_its_rates(browser: Callable[..., Browser], purchasing: Purchasing) -> None:
    page = browser("sales").get(f"/suppliers/{purchasing.supplier_id}")

    assert page.status_code == 200
    assert "0 of 1 receipts on or before the expected date" in page.text
    assert purchasing.order_number in page.text


def test_purchase_orders_filter_by_status(browser: Callable[..., Browser], purchasing: Purchasing) -> None:
    b = browser("buyer")

    partial = b.get("/purchase-orders", params={"status": "partially_received", "q": purchasing.order_number})
    received = b.get("/purchase-orders", params={"status": "received", "q": purchasing.order_number})

    link = f'href="/purchase-orders/{purchasing.order_id}"'
    assert link in partial.text and link not in received.text


def test_purchase_order_page_shows_line_progress_receipts_and_invoices(
    browser: Callable[..., Browser], purchasing: Purchasing
) -> None:
    page = browser("buyer").get(f"/purchase-orders/{purchasing.order_id}")

    assert page.status_code == 200
    assert purchasing.receipt_number in page.text and purchasing.invoice_number in page.text
    assert "Partially received" in page.text


def test_request_list_filters_by_status(browser: Callable[..., Browser], purchasing: Purchasing) -> None:
    b = browser("buyer")

    pending = b.get("/purchase-requests", params={"status": "pending", "q": purchasing.request_number})
    ordered = b.get("/purchase-requests", params={"status": "ordered", "q": purchasing.request_number})

    link = f'href="/purchase-requests/{purchasing.request_id}"'
    assert link in pending.text and link not in ordered.text


def test_request_page_shows_its_approval_state(browser: Callable[..., Browser], purchasing: Purchasing) -> None:
    page = browser("buyer").get(f"/purchase-requests/{purchasing.request_id}")

    assert page.status_code == 200 and "Waiting for approval" in page.text and "No decision yet." in page.text


def test_receipts_with_rejections_are_listed_under_that_filter(
    browser: Callable[..., Browser], purchasing: Purchasing
) -> None:
    page = browser("quality").get("/goods-receipts", params={"rejected": "yes", "q": purchasing.receipt_number})

    assert f'href="/goods-receipts/{purchasing.receipt_id}"' in page.text


def test_receipt_page_shows_the_inspection_and_the_return(
    browser: Callable[..., Browser], purchasing: Purchasing
) -> None:
    page = browser("quality").get(f"/goods-receipts/{purchasing.receipt_id}")

    assert page.status_code == 200 and "cracked" in page.text and "late" in page.text


def test_invoice_list_filters_by_match_status(browser: Callable[..., Browser], purchasing: Purchasing) -> None:
    b = browser("finance")

    mismatched = b.get("/supplier-invoices", params={"match": "mismatch", "q": purchasing.invoice_number})
    matched = b.get("/supplier-invoices", params={"match": "matched", "q": purchasing.invoice_number})

    link = f'href="/supplier-invoices/{purchasing.invoice_id}"'
    assert link in mismatched.text and link not in matched.text


def test_invoice_page_lists_the_mismatch_reasons(browser: Callable[..., Browser], purchasing: Purchasing) -> None:
    page = browser("finance").get(f"/supplier-invoices/{purchasing.invoice_id}")

    assert page.status_code == 200
    assert "Quantity not received" in page.text and "Total differs" in page.text


def test_items_page_shows_stock_and_atp(browser: Callable[..., Browser], purchasing: Purchasing) -> None:
    page = browser("warehouse").get("/items", params={"q": purchasing.sku})

    assert page.status_code == 200
    assert f'<td class="mono">{purchasing.sku}</td>' in page.text
    assert "<td>8</td>" in page.text  # on hand and available: 10 received, 2 rejected


def test_items_below_reorder_point_filter(browser: Callable[..., Browser], purchasing: Purchasing) -> None:
    b = browser("warehouse")

    below = b.get("/items", params={"below": "yes", "q": purchasing.low_sku})
    healthy = b.get("/items", params={"below": "yes", "q": purchasing.sku})

    assert f'<td class="mono">{purchasing.low_sku}</td>' in below.text
    assert f'<td class="mono">{purchasing.sku}</td>' not in healthy.text


def test_unknown_purchase_order_is_not_found(browser: Callable[..., Browser], purchasing: Purchasing) -> None:
    assert browser("buyer").get("/purchase-orders/999999999").status_code == 404


def test_purchasing_pages_need_a_sign_in(browser: Callable[..., Browser], purchasing: Purchasing) -> None:
    response = browser().client.get("/purchase-orders", follow_redirects=False)

    assert response.status_code in (303, 401)
