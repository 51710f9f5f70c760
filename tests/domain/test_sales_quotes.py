"""Quotes: list prices from the item, discounts as inputs, totals and margin, status, conversion to an order."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session

from domain.errors import Conflict, InvalidInput
from domain.sales import quotes
from domain.sales.models import OrderStatus, QuoteStatus
from domain.sales.schemas import QuoteCreate
from tests.conftest import MovableClock
from tests.factories import make_customer, make_item
from tests.factories_crm import make_quote


def test_quote_number_is_generated_from_the_id(session: Session) -> None:
    quote = make_quote(session, make_customer(session), (make_item(session), "1"))

    assert quote.number == f"Q-{quote.id:06d}"


def test_line_takes_list_price_and_cost_from_the_item(session: Session) -> None:
    item = make_item(session, list_price=Decimal("2600.00"), unit_cost=Decimal("1700.00"))

    (line,) = make_quote(session, make_customer(session), (item, "2")).lines

    assert (line.list_price, line.unit_cost) == (Decimal("2600.00"), Decimal("1700.00"))


def test_totals_and_margin_of_a_discounted_quote(session: Session) -> None:
    pump = make_item(session, list_price=Decimal("2600.00"), unit_cost=Decimal("1700.00"))
    seal = make_item(session, list_price=Decimal("0.35"), unit_cost=Decimal("0.10"))

    quote = make_quote(session, make_customer(session), (pump, "10", "5"), (seal, "3", "50"))

    assert (quote.list_total, quote.total, quote.discount_amount) == (
        Decimal("26001.05"), Decimal("24700.53"), Decimal("1300.52"))
    assert (quote.cost_total, quote.margin_amount, quote.margin_pct) == (
        Decimal("17000.30"), Decimal("7700.23"), Decimal("31.17"))


def test_quote_is_valid_30_days_by_default(moving_clock: MovableClock, session: Session) -> None:
    quote = make_quote(session, make_customer(session), (make_item(session), "1"))

    assert (quote.status, quote.valid_until) == (QuoteStatus.DRAFT, date(2026, 12, 2))


def test_quote_without_lines_is_rejected() -> None:
    with pytest.raises(ValidationError):
        QuoteCreate(customer_code="X", lines=[])


def test_inactive_item_cannot_be_quoted(session: Session) -> None:
    with pytest.raises(InvalidInput):
        make_quote(session, make_customer(session), (make_item(session, active=False), "1"))


def test_discount_applies_to_every_line(session: Session) -> None:
    quote = make_quote(session, make_customer(session), (make_item(session), "1"), (make_item(session), "2", "3"))

    quotes.apply_quote_discount(session=session, quote_id=quote.id, discount_pct=Decimal("7.5"))

    assert [line.discount_pct for line in quote.lines] == [Decimal("7.5"), Decimal("7.5")]
    assert quote.total == Decimal("27.75")


def test_discount_with_three_places_is_rejected(session: Session) -> None:
    quote = make_quote(session, make_customer(session), (make_item(session), "1"))

    with pytest.raises(InvalidInput):
        quotes.apply_quote_discount(session=session, quote_id=quote.id, discount_pct=Decimal("7.125"))


def test_sent_quote_takes_no_discount(session: Session) -> None:
    quote = make_quote(session, make_customer(session), (make_item(session), "1"))
    quotes.mark_quote_sent(session=session, quote_id=quote.id)

    with pytest.raises(Conflict):
        quotes.apply_quote_discount(session=session, quote_id=quote.id, discount_pct=Decimal("5"))


def test_sent_quote_can_be_accepted(session: Session) -> None:
    quote = make_quote(session, make_customer(session), (make_item(session), "1"))
    quotes.mark_quote_sent(session=session, quote_id=quote.id)

    quotes.mark_quote_accepted(session=session, quote_id=quote.id)

    assert quote.status is QuoteStatus.ACCEPTED and quote.answered_at is not None


def test_draft_quote_cannot_be_accepted(session: Session) -> None:
    quote = make_quote(session, make_customer(session), (make_item(session), "1"))

    with pytest.raises(Conflict):
        quotes.mark_quote_accepted(session=session, quote_id=quote.id)


def test_quote_past_its_validity_cannot_be_accepted(moving_clock: MovableClock, session: Session) -> None:
    quote = make_quote(session, make_customer(session), (make_item(session), "1"), valid_days=7)
    quotes.mark_quote_sent(session=session, quote_id=quote.id)
    moving_clock.advance(days=8)

    with pytest.raises(Conflict, match="valid until"):
        quotes.mark_quote_accepted(session=session, quote_id=quote.id)


def test_expiring_a_sent_quote_twice_is_harmless(session: Session) -> None:
    quote = make_quote(session, make_customer(session), (make_item(session), "1"))
    quotes.mark_quote_sent(session=session, quote_id=quote.id)

    quotes.mark_quote_expired(session=session, quote_id=quote.id)
    quotes.mark_quote_expired(session=session, quote_id=quote.id)

    assert quote.status is QuoteStatus.EXPIRED


def test_expired_quote_cannot_be_accepted(session: Session) -> None:
    quote = make_quote(session, make_customer(session), (make_item(session), "1"))
    quotes.mark_quote_expired(session=session, quote_id=quote.id)

    with pytest.raises(Conflict):
        quotes.mark_quote_accepted(session=session, quote_id=quote.id)


def test_accepted_quote_becomes_an_order_with_the_same_net(session: Session) -> None:
    item = make_item(session, list_price=Decimal("0.35"))
    quote = make_quote(session, make_customer(session), (item, "3", "50"), (make_item(session), "2", "10"))
    quotes.mark_quote_sent(session=session, quote_id=quote.id)
    quotes.mark_quote_accepted(session=session, quote_id=quote.id)

    order = quotes.create_order_from_quote(session=session, quote_id=quote.id, actor="tester")

    assert (order.total, order.status, quote.sales_order_id) == (quote.total, OrderStatus.DRAFT, order.id)
    assert [(line.unit_price, line.discount_pct) for line in order.lines] == [
        (Decimal("0.35"), Decimal("50")), (Decimal("10.00"), Decimal("10"))]


def test_converting_a_quote_twice_returns_the_same_order(session: Session) -> None:
    quote = make_quote(session, make_customer(session), (make_item(session), "1"))
    quotes.mark_quote_sent(session=session, quote_id=quote.id)
    quotes.mark_quote_accepted(session=session, quote_id=quote.id)
    first = quotes.create_order_from_quote(session=session, quote_id=quote.id, actor="tester")

    assert quotes.create_order_from_quote(session=session, quote_id=quote.id, actor="tester") is first


def test_quote_not_accepted_cannot_become_an_order(session: Session) -> None:
    quote = make_quote(session, make_customer(session), (make_item(session), "1"))

    with pytest.raises(Conflict):
        quotes.create_order_from_quote(session=session, quote_id=quote.id, actor="tester")


def test_list_quotes_filters_by_status_and_searches_customer(session: Session) -> None:
    customer = make_customer(session, name="Quote Search Unique Co")
    sent = make_quote(session, customer, (make_item(session), "1"))
    make_quote(session, customer, (make_item(session), "1"))
    quotes.mark_quote_sent(session=session, quote_id=sent.id)

    assert quotes.list_quotes(session=session, q="search unique", status=QuoteStatus.SENT) == [sent]
