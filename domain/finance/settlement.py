"""Settling invoices from a payment or a credit note: the shared locking and the over-allocation checks.

Lock order, everywhere in finance: customer, then the payment or credit note, then invoices by ascending id.
Every write that changes what is settled on an invoice holds that invoice's row lock, so sums read under it stay true.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.crm.models import Customer
from domain.errors import InvalidInput, NotFound
from domain.finance.models import ZERO, CreditApplication, Invoice, PaymentAllocation
from domain.sales.pricing import CENT


def check_amount(amount: Decimal, what: str = "amount") -> None:
    """A positive Decimal with at most two decimal places, else InvalidInput."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise InvalidInput(f"{what} must be a Decimal, not {type(amount).__name__}")
    if amount <= 0 or amount.quantize(CENT) != amount:
        raise InvalidInput(f"{what} must be positive with at most two decimal places, got {amount}")


def lock_customer(session: Session, customer_id: int) -> Customer:
    """The customer row, locked: serializes per-customer checks such as duplicate payment references."""
    query = select(Customer).where(Customer.id == customer_id).with_for_update()
    customer = session.scalar(query.execution_options(populate_existing=True))
    if customer is None:
        raise NotFound(f"customer {customer_id} not found")
    return customer


def lock_invoices(session: Session, invoice_ids: list[int]) -> dict[int, Invoice]:
    """The invoices, each locked in ascending id order (one statement each, so the order is the lock order)."""
    invoices: dict[int, Invoice] = {}
    for invoice_id in sorted(set(invoice_ids)):
        query = select(Invoice).where(Invoice.id == invoice_id).with_for_update()
        invoice = session.scalar(query.execution_options(populate_existing=True))
        if invoice is None:
            raise NotFound(f"invoice {invoice_id} not found")
        invoices[invoice_id] = invoice
    return invoices


def settled_on_invoice(session: Session, invoice_id: int) -> Decimal:
    """Payments allocated plus credits applied, as the database holds them now."""
    # Summed in Python: SQLite would sum NUMERIC as floating point.
    allocated = session.scalars(select(PaymentAllocation.amount).where(PaymentAllocation.invoice_id == invoice_id))
    credited = session.scalars(select(CreditApplication.amount).where(CreditApplication.invoice_id == invoice_id))
    return sum(allocated, ZERO) + sum(credited, ZERO)


def plan(
    session: Session,
    *,
    customer_id: int,
    currency: str,
    available: Decimal,
    amounts: Mapping[int, Decimal | None],
    source: str,
) -> list[tuple[Invoice, Decimal]]:
    """How much goes to each invoice (None: as much as fits), under the invoices' locks; over-settling raises."""
    if not amounts:
        raise InvalidInput(f"{source}: name at least one invoice")
    invoices = lock_invoices(session, list(amounts))
    result: list[tuple[Invoice, Decimal]] = []
    left = available
    for invoice_id, wanted in amounts.items():
        invoice = invoices[invoice_id]
        if invoice.customer_id != customer_id:
            raise InvalidInput(f"invoice {invoice.number} belongs to another customer than {source}")
        if invoice.currency != currency:
            raise InvalidInput(f"invoice {invoice.number} is in {invoice.currency}, {source} in {currency}")
        open_amount = invoice.total - settled_on_invoice(session, invoice.id)
        amount = min(left, open_amount) if wanted is None else wanted
        if wanted is None and amount <= 0:
            continue
        check_amount(amount)
        if amount > open_amount:
            raise InvalidInput(f"{amount} exceeds the open amount {open_amount} of invoice {invoice.number}")
        if amount > left:
            raise InvalidInput(f"{source} has only {left} left to allocate, not {amount}")
        left -= amount
        result.append((invoice, amount))
    if not result:
        raise InvalidInput(f"{source}: nothing left to allocate or nothing open on the invoices")
    return result
