"""Money arithmetic for order and invoice lines: exact Decimals, rounded half-up to the cent once per line."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext

CENT = Decimal("0.01")


def to_cents(value: Decimal) -> Decimal:
    """value rounded half-up to two places."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def net_amount(*, quantity: Decimal, unit_price: Decimal, discount_pct: Decimal) -> Decimal:
    """quantity * unit_price * (1 - discount_pct / 100), rounded half-up to the cent."""
    # 18-digit quantities times 18-digit prices overflow the default 28-digit context; compute exactly.
    with localcontext() as ctx:
        ctx.prec = 60
        return to_cents(quantity * unit_price * (100 - discount_pct) / 100)
