"""Sales pages: quotes and sales orders, filtered lists and detail pages with totals, margin and derived status."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from domain.db import transaction
from tests.factories_crm import make_account
from tests.web.conftest import Browser


@pytest.fixture
def account(world: None) -> dict[str, Any]:
    """A committed customer whose accepted quote became a half-shipped order."""
    with transaction() as session:
        made = make_account(session)
        return {"code": made["customer"].code, "name": made["customer"].name, "tag": made["tag"],
                "quote": made["quote"].number, "order": made["order"].number}


def test_quote_list_filters_by_status_and_customer_search(browser: Callable[..., Browser],
                                                          account: dict[str, Any]) -> None:
    sales = browser("sales")

    accepted = sales.get(f"/quotes?q={account['tag']}&status=accepted")
    drafts = sales.get(f"/quotes?q={account['tag']}&status=draft")

    assert accepted.status_code == 200 and f'href="/quotes/{account["quote"]}"' in accepted.text
    assert f'href="/quotes/{account["quote"]}"' not in drafts.text


def test_quote_page_shows_lines_totals_and_margin(browser: Callable[..., Browser], account: dict[str, Any]) -> None:
    page = browser("sales").get(f"/quotes/{account['quote']}")

    totals = page.text[page.text.index('id="quote-totals"'):]
    assert page.status_code == 200 and 'id="quote-lines"' in page.text
    # 10 x 100.00 less 5 % = 950.00; cost 10 x 60.00 = 600.00; margin 350.00 = 36.84 %
    assert "950.00" in totals and "50.00" in totals and "350.00" in totals and "36.84" in totals
    assert f'href="/sales-orders/{account["order"]}"' in totals


def test_order_list_filters_by_derived_status_and_customer(browser: Callable[..., Browser],
                                                           account: dict[str, Any]) -> None:
    sales = browser("sales")

    partial = sales.get(f"/sales-orders?customer={account['code']}&status=partially_shipped")
    shipped = sales.get(f"/sales-orders?customer={account['code']}&status=shipped")
    searched = sales.get(f"/sales-orders?q={account['tag']}")

    assert f'href="/sales-orders/{account["order"]}"' in partial.text and "Partially shipped" in partial.text
    assert f'href="/sales-orders/{account["order"]}"' not in shipped.text
    assert f'href="/sales-orders/{account["order"]}"' in searched.text


def test_order_page_shows_delivered_quantities_and_its_quote(browser: Callable[..., Browser],
                                                              account: dict[str, Any]) -> None:
    page = browser("sales").get(f"/sales-orders/{account['order']}")

    assert page.status_code == 200 and 'id="order-lines"' in page.text
    assert f'href="/quotes/{account["quote"]}"' in page.text and "Partially shipped" in page.text


def test_unknown_quote_is_not_found(browser: Callable[..., Browser], world: None) -> None:
    assert browser("sales").get("/quotes/Q-999999999").status_code == 404
