"""Property: for any lines and discounts, a quote's net, discount, margin and margin % are exact to the cent.

The expected values are computed independently with Fractions: each line rounded half-up once, then summed.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from domain.sales import quotes
from tests.factories import make_customer, make_item
from tests.factories_crm import make_quote

MONEY = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("99999999.99"), places=2)
QUANTITY = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("999999.999"), places=3)
DISCOUNT = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("100.00"), places=2)
LINES = st.lists(st.tuples(MONEY, MONEY, QUANTITY, DISCOUNT), min_size=1, max_size=5)


def _cents(value: Fraction) -> Fraction:
    """Half-up (away from zero) to the cent."""
    if value < 0:
        return -_cents(-value)
    hundredths = value * 100
    whole = hundredths.numerator // hundredths.denominator
    return Fraction(whole + (1 if hundredths - whole >= Fraction(1, 2) else 0), 100)


def _expected(lines: list[tuple[Decimal, Decimal, Decimal, Decimal]]) -> dict[str, Fraction]:
    net = sum((_cents(Fraction(q) * Fraction(p) * (100 - Fraction(d)) / 100) for p, _, q, d in lines), Fraction(0))
    gross = sum((_cents(Fraction(q) * Fraction(p)) for p, _, q, _ in lines), Fraction(0))
    cost = sum((_cents(Fraction(q) * Fraction(c)) for _, c, q, _ in lines), Fraction(0))
    margin_pct = _cents((net - cost) * 100 / net) if net else Fraction(0)
    return {"total": net, "list_total": gross, "discount_amount": gross - net, "margin_amount": net - cost,
            "margin_pct": margin_pct}


def _actual(quote: Any) -> dict[str, Fraction]:
    keys = ("total", "list_total", "discount_amount", "margin_amount", "margin_pct")
    return {k: Fraction(getattr(quote, k)) for k in keys}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=LINES)
def test_quote_totals_are_exact_to_the_cent(session: Session, lines: list[tuple[Decimal, ...]]) -> None:
    savepoint = session.begin_nested()
    try:
        customer = make_customer(session)
        quote = make_quote(session, customer, *[
            (make_item(session, list_price=price, unit_cost=cost), quantity, discount)
            for price, cost, quantity, discount in lines])
        session.expire_all()
        reloaded = quotes.get_quote(session=session, quote_id=quote.id)

        assert _actual(reloaded) == _expected(lines)  # type: ignore[arg-type]
        assert all(getattr(reloaded, k).as_tuple().exponent == -2 for k in ("total", "margin_amount"))
    finally:
        savepoint.rollback()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=LINES, discount=DISCOUNT)
def test_applying_a_discount_keeps_totals_exact(session: Session, lines: list[tuple[Decimal, ...]],
                                                 discount: Decimal) -> None:
    savepoint = session.begin_nested()
    try:
        quote = make_quote(session, make_customer(session), *[
            (make_item(session, list_price=price, unit_cost=cost), quantity) for price, cost, quantity, _ in lines])

        quotes.apply_quote_discount(session=session, quote_id=quote.id, discount_pct=discount)
        session.expire_all()
        reloaded = quotes.get_quote(session=session, quote_id=quote.id)

        expected = _expected([(p, c, q, discount) for p, c, q, _ in lines])  # type: ignore[misc]
        assert _actual(reloaded) == expected
    finally:
        savepoint.rollback()
