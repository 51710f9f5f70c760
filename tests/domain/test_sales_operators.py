"""The sales.* quote operators as a process calls them: create, discount, summary, answer, order."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from domain.errors import Conflict
from engine import services
from tests.conftest import MovableClock
from tests.factories import make_customer, make_item


def call(session: Session, name: str, **params: Any) -> dict[str, Any]:
    return services.call(session=session, name=name, params=params)


def _quote(session: Session, **customer: Any) -> dict[str, Any]:
    item = make_item(session, list_price=Decimal("2600.00"), unit_cost=Decimal("1700.00"))
    code = make_customer(session, **customer).code
    return call(session, "sales.create_quote", customer_code=code,
                lines=[{"item_sku": item.sku, "quantity": "10"}], valid_days=14, business_key="lead-7")


def test_quote_summary_has_what_the_approval_decides_on(moving_clock: MovableClock, session: Session) -> None:
    quote = _quote(session, tier="key", credit_rating="D")

    summary = call(session, "sales.apply_quote_discount", quote_id=quote["quote_id"], discount_pct="5")

    assert {k: summary[k] for k in ("status", "customer_tier", "credit_rating", "weak_credit", "amount",
                                    "discount_amount", "margin_amount", "margin_pct", "valid_until")} == {
        "status": "draft", "customer_tier": "key", "credit_rating": "D", "weak_credit": True,
        "amount": Decimal("24700.00"), "discount_amount": Decimal("1300.00"), "margin_amount": Decimal("7700.00"),
        "margin_pct": Decimal("31.17"), "valid_until": date(2026, 11, 16)}


def test_quote_goes_from_sent_to_accepted_to_an_order(session: Session) -> None:
    quote = _quote(session)
    call(session, "sales.mark_quote_sent", quote_id=quote["quote_id"])
    call(session, "sales.mark_quote_accepted", quote_id=quote["quote_id"])

    order = call(session, "sales.create_order_from_quote", quote_id=quote["quote_id"])

    summary = call(session, "sales.quote_summary", quote_id=quote["quote_id"])
    assert (order["total"], order["status"], summary["sales_order_id"]) == (Decimal("26000.00"), "draft", order["id"])


def test_expired_quote_cannot_become_an_order(session: Session) -> None:
    quote = _quote(session)
    call(session, "sales.mark_quote_sent", quote_id=quote["quote_id"])
    expired = call(session, "sales.mark_quote_expired", quote_id=quote["quote_id"])

    with pytest.raises(Conflict):
        call(session, "sales.create_order_from_quote", quote_id=quote["quote_id"])
    assert expired["status"] == "expired"
