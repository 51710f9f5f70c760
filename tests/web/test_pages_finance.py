"""Finance pages: invoice, payment and credit note lists with filters, recording and allocating payments, AR aging."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest

from domain import clock
from domain.crm.models import Customer
from domain.db import transaction
from domain.finance import credit_notes, payments
from domain.finance.models import Payment
from tests.domain.test_finance import invoice_for
from tests.factories import make_customer
from tests.web.conftest import Browser, unique
from web.i18n import Formatter
from web.pages.finance import customer_ar_context
from web.templating import env


@dataclass(frozen=True)
class Billed:
    customer_id: int
    customer_code: str
    customer_name: str
    invoice_id: int
    invoice_number: str


@pytest.fixture
def billed(world: None) -> Billed:
    """A fresh customer with one open invoice of 100.00, issued 40 days ago on 30-day terms (10 days overdue)."""
    with transaction() as session:
        customer = make_customer(session, name=f"Finance Pages {unique()}", payment_terms_days=30)
        invoice = invoice_for(session, customer, "100.00", issued=clock.now().date() - timedelta(days=40))
        return Billed(customer.id, customer.code, customer.name, invoice.id, invoice.number)


def _pay(b: Browser, invoice_id: int, amount: str, **fields: str):  # type: ignore[no-untyped-def]
    data = {"amount": amount, "paid_on": date.today().isoformat(), "reference": "", "method": "bank_transfer"}
    return b.post(f"/invoices/{invoice_id}/payments", data | fields)


def test_invoice_list_finds_an_invoice_by_customer_name(browser: Callable[..., Browser], billed: Billed) -> None:
    page = browser("sales").get("/invoices", params={"q": billed.customer_name})

    assert page.status_code == 200 and billed.invoice_number in page.text


def test_invoice_list_filters_by_status(browser: Callable[..., Browser], billed: Billed) -> None:
    b = browser("finance")

    paid = b.get("/invoices", params={"q": billed.customer_name, "status": "paid"})
    still_open = b.get("/invoices", params={"q": billed.customer_name, "status": "open"})

    assert billed.invoice_number not in paid.text and billed.invoice_number in still_open.text


def test_invoice_list_shows_overdue_invoices_with_their_days(browser: Callable[..., Browser], billed: Billed) -> None:
    page = browser("finance").get("/invoices", params={"q": billed.customer_name, "overdue": "yes"})

    assert billed.invoice_number in page.text and "10 days overdue" in page.text


def test_finance_records_a_partial_payment_from_the_invoice_page(browser: Callable[..., Browser],
                                                                  billed: Billed) -> None:
    b = browser("finance")

    done = _pay(b, billed.invoice_id, "40.00", reference=f"TT-{unique()}")

    assert done.url.path == f"/invoices/{billed.invoice_id}" and "Payment recorded" in done.text
    assert "Partially paid" in done.text and "CN¥60.00" in done.text


@pytest.mark.parametrize(("amount", "message"), [
    ("12.345", "Use at most two decimal places."),
    ("abc", "Enter a number such as 1250.00."),
    ("-5", "The amount must be greater than zero."),
    ("", "Enter an amount."),
])
def test_a_bad_amount_is_shown_next_to_the_field(browser: Callable[..., Browser], billed: Billed, amount: str,
                                                  message: str) -> None:
    page = _pay(browser("finance"), billed.invoice_id, amount)

    assert page.status_code == 422
    assert f'<p class="field-error" id="pay-amount-error">{message}</p>' in page.text


def test_a_repeated_reference_is_shown_as_an_error(browser: Callable[..., Browser], billed: Billed) -> None:
    b, reference = browser("finance"), f"TT-{unique()}"
    _pay(b, billed.invoice_id, "10.00", reference=reference)

    again = _pay(b, billed.invoice_id, "10.00", reference=reference)

    assert again.status_code == 422 and "already recorded" in again.text


def test_only_finance_sees_and_uses_the_payment_form(browser: Callable[..., Browser], billed: Billed) -> None:
    sales = browser("sales")

    assert 'id="payment-form"' not in sales.get(f"/invoices/{billed.invoice_id}").text
    assert _pay(sales, billed.invoice_id, "10.00").status_code == 403


def test_an_over_payment_leaves_credit_that_finance_allocates_later(browser: Callable[..., Browser],
                                                                     billed: Billed) -> None:
    b = browser("finance")
    _pay(b, billed.invoice_id, "150.00")
    with transaction() as session:
        customer = session.get(Customer, billed.customer_id)
        assert customer is not None
        later = invoice_for(session, customer, "30.00")
    (spare,) = [p.id for p in _unallocated(billed.customer_id)]

    done = b.post(f"/invoices/{later.id}/allocate", {"payment_id": str(spare), "allocate_amount": ""})

    assert done.url.path == f"/invoices/{later.id}" and "Paid" in done.text
    assert [p.unallocated_amount for p in _unallocated(billed.customer_id)] == [Decimal("20.00")]


def test_allocating_more_than_is_open_is_shown_as_an_error(browser: Callable[..., Browser], billed: Billed) -> None:
    b = browser("finance")
    with transaction() as session:
        payment_id = payments.receive_payment(session=session, customer_id=billed.customer_id,
                                              amount=Decimal("500.00"), paid_on=date.today()).id

    page = b.post(f"/payments/{payment_id}/allocate", {"invoice_id": str(billed.invoice_id),
                                                       "allocate_amount": "100.01"})

    assert page.status_code == 422 and "exceeds the open amount 100.00" in page.text


def test_payment_list_filters_payments_with_money_left(browser: Callable[..., Browser], billed: Billed) -> None:
    b = browser("finance")
    settled, spare = f"TT-{unique()}", f"TT-{unique()}"
    _pay(b, billed.invoice_id, "50.00", reference=settled)
    _pay(b, billed.invoice_id, "60.00", reference=spare)  # 50.00 settles the rest, 10.00 is left

    page = b.get("/payments", params={"customer": str(billed.customer_id), "unallocated": "yes"})

    assert spare in page.text and settled not in page.text and "CN¥10.00" in page.text


def test_credit_notes_are_listed_and_shown(browser: Callable[..., Browser], billed: Billed) -> None:
    with transaction() as session:
        note = credit_notes.issue_credit_note(session=session, customer_id=billed.customer_id,
                                              amount=Decimal("25.00"), reason="damaged pump housing",
                                              actor="finance", invoice_id=billed.invoice_id)
        number, note_id = note.number, note.id
    b = browser("sales")

    listing = b.get("/credit-notes", params={"q": number})
    detail = b.get(f"/credit-notes/{note_id}")

    assert number in listing.text and "damaged pump housing" in listing.text
    assert billed.invoice_number in detail.text and "CN¥25.00" in detail.text


def test_aging_report_shows_the_customer_in_their_bucket(browser: Callable[..., Browser], billed: Billed) -> None:
    page = browser("finance").get("/ar-aging", params={"q": billed.customer_code})

    row = page.text.split(f"{billed.customer_code}</span>", 1)[1].split("</tr>", 1)[0]
    assert [cell.split("</td>")[0] for cell in row.split("<td>")[1:]] == [
        "—", "CN¥100.00", "—", "—", "—", "<strong>CN¥100.00</strong>"]


def test_aging_csv_has_the_customer_row_and_a_total(browser: Callable[..., Browser], billed: Billed) -> None:
    response = browser("finance").get("/ar-aging.csv")

    rows = list(csv.reader(io.StringIO(response.text)))
    assert response.headers["content-type"].startswith("text/csv")
    assert rows[0] == ["Customer code", "Customer", "Currency", "Not yet due", "0-30 days", "31-60 days",
                       "61-90 days", "Over 90 days", "Total"]
    assert [billed.customer_code, billed.customer_name, "CNY", "0.00", "100.00", "0.00", "0.00", "0.00",
            "100.00"] in rows
    assert rows[-1][1] == "Total"


def test_customer_ar_partial_shows_open_invoices_and_history(billed: Billed) -> None:
    with transaction() as session:
        context = customer_ar_context(session, billed.customer_id)
        html = env.get_template("finance_customer_ar.html").render(
            context, _=lambda s: s, fmt=Formatter("en"))

    assert billed.invoice_number in html and "10 days" in html and "CN¥100.00" in html


def _unallocated(customer_id: int) -> list[Payment]:
    with transaction() as session:
        return payments.unallocated_payments(session=session, customer_id=customer_id)
