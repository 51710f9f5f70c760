"""Invoices, payments (recorded and allocated by finance), credit notes, the AR aging report and a customer's AR."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain import clock
from domain.crm.models import Customer
from domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from domain.finance import credit_notes, payments, receivables, service
from domain.finance.models import CreditNote, Invoice, InvoiceStatus, Payment, PaymentMethod
from domain.identity.models import User
from domain.sales.pricing import CENT
from web.deps import SessionDep
from web.form_html import N_
from web.pages.common import UserDep, flash, gettext_for, page, redirect

router = APIRouter()
PAGE_SIZE = 50
FINANCE_GROUPS = {"finance", "admin"}
STATUS_LABELS = {InvoiceStatus.OPEN: N_("Open"), InvoiceStatus.PARTIALLY_PAID: N_("Partially paid"),
                 InvoiceStatus.PAID: N_("Paid")}
STATUS_PILLS = {InvoiceStatus.OPEN: "open", InvoiceStatus.PARTIALLY_PAID: "mine", InvoiceStatus.PAID: "completed"}
METHOD_LABELS = {PaymentMethod.BANK_TRANSFER: N_("Bank transfer"), PaymentMethod.CASH: N_("Cash"),
                 PaymentMethod.CARD: N_("Card"), PaymentMethod.CHEQUE: N_("Cheque"), PaymentMethod.OTHER: N_("Other")}
BUCKET_LABELS = {"not_yet_due": N_("Not yet due"), "days_0_30": N_("0-30 days"), "days_31_60": N_("31-60 days"),
                 "days_61_90": N_("61-90 days"), "days_over_90": N_("Over 90 days")}
LABELS = {"status": STATUS_LABELS, "pill": STATUS_PILLS, "method": METHOD_LABELS, "bucket": BUCKET_LABELS}


@dataclass
class PaymentForm:
    """What the payment form posted, and its errors by field (already translated)."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def may_record(user: User) -> bool:
    """Finance users (and admins) record and allocate payments."""
    return bool(user.group_names & FINANCE_GROUPS)


def _require_finance(user: User) -> None:
    if not may_record(user):
        raise Forbidden("only finance may record or allocate payments", code="not_finance")


def parse_amount(raw: str, gettext: Any, *, required: bool = True) -> tuple[Decimal | None, str | None]:
    """(amount, None) for a positive amount with at most two decimals, else (None, an error message)."""
    text = raw.strip().replace(",", "")
    if not text:
        return None, gettext(N_("Enter an amount.")) if required else None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None, gettext(N_("Enter a number such as 1250.00."))
    if not amount.is_finite() or amount <= 0:
        return None, gettext(N_("The amount must be greater than zero."))
    if amount.quantize(CENT) != amount:
        return None, gettext(N_("Use at most two decimal places."))
    return amount, None


def _parse_date(raw: str, gettext: Any) -> tuple[date | None, str | None]:
    try:
        return date.fromisoformat(raw.strip()), None
    except ValueError:
        return None, gettext(N_("Enter a date such as 2026-11-24."))


def _page_of(rows: list[Any], page_no: int) -> tuple[list[Any], bool, int]:
    page_no = max(page_no, 1)
    start = (page_no - 1) * PAGE_SIZE
    return rows[start:start + PAGE_SIZE], len(rows) > start + PAGE_SIZE, page_no


def _list_context(rows: list[Any], page_no: int, base: str, filters: dict[str, str]) -> dict[str, Any]:
    shown, more, page_no = _page_of(rows, page_no)
    return {"rows": shown, "more": more, "page_no": page_no, "base": base, "filters": filters,
            "query": urlencode({k: v for k, v in filters.items() if v}), "flabels": LABELS}


def _customer_id(raw: str) -> int | None:
    return int(raw) if raw.strip().isdigit() else None


@router.get("/invoices", response_class=HTMLResponse)
def invoice_list(request: Request, session: SessionDep, user: UserDep, q: str = "", customer: str = "",
                 status: str = "", overdue: str = "", page_no: int = 1) -> HTMLResponse:
    """Invoices, newest first, by number or customer, status, and overdue today."""
    wanted = InvoiceStatus(status) if status in {s.value for s in InvoiceStatus} else None
    today = clock.now().date()
    rows = service.search_invoices(session=session, q=q, customer_id=_customer_id(customer), status=wanted,
                                   overdue_on=today if overdue == "yes" else None)
    filters = {"q": q.strip(), "customer": customer.strip(), "status": wanted.value if wanted else "",
               "overdue": "yes" if overdue == "yes" else ""}
    return page(request, "finance_invoices.html", _list_context(rows, page_no, "/invoices", filters) | {
        "statuses": list(InvoiceStatus), "today": today}, session=session, user=user)


def _invoice_page(request: Request, session: Session, user: User, invoice: Invoice, form: PaymentForm | None = None,
                  status_code: int = 200) -> HTMLResponse:
    today = clock.now().date()
    spare = payments.unallocated_payments(session=session, customer_id=invoice.customer_id)
    return page(request, "finance_invoice.html", {
        "invoice": invoice, "today": today, "days_overdue": invoice.days_overdue(today), "flabels": LABELS,
        "spare_payments": spare, "may_record": may_record(user), "methods": list(PaymentMethod),
        "form": form or PaymentForm(values={"amount": str(invoice.open_amount) if invoice.open_amount > 0 else "",
                                            "paid_on": today.isoformat()}),
    }, session=session, user=user, status_code=status_code)


@router.get("/invoices/{invoice_id}", response_class=HTMLResponse)
def invoice_page(request: Request, invoice_id: int, session: SessionDep, user: UserDep) -> HTMLResponse:
    """One invoice: lines, payments allocated, credits applied, and for finance the payment form."""
    return _invoice_page(request, session, user, service.get_invoice(session=session, invoice_id=invoice_id))


def _parse_payment(values: dict[str, str], gettext: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The payment form's values parsed (amount as Decimal), and an error message per invalid field."""
    amount, amount_error = parse_amount(values.get("amount", ""), gettext)
    paid_on, date_error = _parse_date(values.get("paid_on", ""), gettext)
    method = values.get("method") or PaymentMethod.BANK_TRANSFER.value
    method_error = None if method in {m.value for m in PaymentMethod} else gettext(N_("Choose a payment method."))
    errors = {"amount": amount_error, "paid_on": date_error, "method": method_error}
    parsed = {"amount": amount, "paid_on": paid_on, "method": method, "reference": values.get("reference", "")}
    return parsed, {k: v for k, v in errors.items() if v}


async def _posted(request: Request) -> dict[str, str]:
    return {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}


@router.post("/invoices/{invoice_id}/payments", response_class=HTMLResponse, response_model=None)
async def invoice_payment(request: Request, invoice_id: int, session: SessionDep, user: UserDep) -> Response:
    """Record a payment for this invoice: allocated up to its open amount, any excess left as the customer's credit."""
    _require_finance(user)
    invoice = service.get_invoice(session=session, invoice_id=invoice_id)
    gettext = gettext_for(request)
    values = await _posted(request)
    parsed, errors = _parse_payment(values, gettext)
    if not errors:
        try:
            payment = payments.record_payment(session=session, invoice_id=invoice.id, amount=parsed["amount"],
                                              paid_on=parsed["paid_on"], reference=parsed["reference"],
                                              method=PaymentMethod(parsed["method"]))
        except (InvalidInput, Conflict) as exc:
            errors["reference" if isinstance(exc, Conflict) else "amount"] = exc.message
        else:
            session.commit()
            flash(request, gettext(N_("Payment recorded: %(amount)s allocated, %(rest)s left as credit."))
                  % {"amount": payment.allocated_amount, "rest": payment.unallocated_amount})
            return redirect(f"/invoices/{invoice.id}")
    return _invoice_page(request, session, user, invoice, PaymentForm(values, errors), status_code=422)


@router.post("/invoices/{invoice_id}/allocate", response_class=HTMLResponse, response_model=None)
async def invoice_allocate(request: Request, invoice_id: int, session: SessionDep, user: UserDep) -> Response:
    """Allocate a customer's unallocated payment to this invoice (as much as fits, or the amount given)."""
    _require_finance(user)
    invoice = service.get_invoice(session=session, invoice_id=invoice_id)
    gettext = gettext_for(request)
    values = await _posted(request)
    error = _allocate(session, gettext, values.get("payment_id", ""), str(invoice.id),
                      values.get("allocate_amount", ""))
    if error:
        return _invoice_page(request, session, user, invoice, PaymentForm(values, {"allocate_amount": error}),
                             status_code=422)
    session.commit()
    flash(request, gettext(N_("Payment allocated.")))
    return redirect(f"/invoices/{invoice.id}")


def _allocate(session: Session, gettext: Any, payment_id: str, invoice_id: str, raw_amount: str) -> str | None:
    """Allocate as posted; the error message, or None when done."""
    amount, error = parse_amount(raw_amount, gettext, required=False)
    if error:
        return error
    if not payment_id.strip().isdigit() or not invoice_id.strip().isdigit():
        return str(gettext(N_("Choose a payment and an invoice.")))
    try:
        payments.allocate_payment(session=session, payment_id=int(payment_id), amounts={int(invoice_id): amount})
    except (InvalidInput, NotFound) as exc:
        return exc.message
    return None


@router.get("/payments", response_class=HTMLResponse)
def payment_list(request: Request, session: SessionDep, user: UserDep, q: str = "", customer: str = "",
                 unallocated: str = "", page_no: int = 1) -> HTMLResponse:
    """Payments, newest first, by reference, customer, and with money left to allocate."""
    rows = payments.list_payments(session=session, customer_id=_customer_id(customer), q=q,
                                  unallocated=unallocated == "yes", limit=100_000)
    filters = {"q": q.strip(), "customer": customer.strip(), "unallocated": "yes" if unallocated == "yes" else ""}
    return page(request, "finance_payments.html", _list_context(rows, page_no, "/payments", filters),
                session=session, user=user)


def _payment_page(request: Request, session: Session, user: User, payment: Payment, form: PaymentForm | None = None,
                  status_code: int = 200) -> HTMLResponse:
    today = clock.now().date()
    open_rows = receivables.open_invoices(session=session, as_of=date.max, customer_id=payment.customer_id)
    return page(request, "finance_payment.html", {
        "payment": payment, "flabels": LABELS, "may_record": may_record(user), "form": form or PaymentForm(),
        "open_invoices": [(row.invoice, row.open_amount) for row in open_rows], "today": today,
    }, session=session, user=user, status_code=status_code)


@router.get("/payments/{payment_id}", response_class=HTMLResponse)
def payment_page(request: Request, payment_id: int, session: SessionDep, user: UserDep) -> HTMLResponse:
    """One payment with its allocations, and for finance a form to allocate what is left."""
    return _payment_page(request, session, user, payments.get_payment(session=session, payment_id=payment_id))


@router.post("/payments/{payment_id}/allocate", response_class=HTMLResponse, response_model=None)
async def payment_allocate(request: Request, payment_id: int, session: SessionDep, user: UserDep) -> Response:
    """Allocate (part of) what is left of this payment to one of the customer's open invoices."""
    _require_finance(user)
    payment = payments.get_payment(session=session, payment_id=payment_id)
    gettext = gettext_for(request)
    values = await _posted(request)
    error = _allocate(session, gettext, str(payment.id), values.get("invoice_id", ""),
                      values.get("allocate_amount", ""))
    if error:
        return _payment_page(request, session, user, payment, PaymentForm(values, {"allocate_amount": error}),
                             status_code=422)
    session.commit()
    flash(request, gettext(N_("Payment allocated.")))
    return redirect(f"/payments/{payment.id}")


@router.get("/credit-notes", response_class=HTMLResponse)
def credit_note_list(request: Request, session: SessionDep, user: UserDep, q: str = "", customer: str = "",
                     page_no: int = 1) -> HTMLResponse:
    """Credit notes, newest first, by number or reason, and customer."""
    rows = credit_notes.list_credit_notes(session=session, customer_id=_customer_id(customer), q=q, limit=100_000)
    filters = {"q": q.strip(), "customer": customer.strip()}
    return page(request, "finance_credit_notes.html", _list_context(rows, page_no, "/credit-notes", filters),
                session=session, user=user)


@router.get("/credit-notes/{credit_note_id}", response_class=HTMLResponse)
def credit_note_page(request: Request, credit_note_id: int, session: SessionDep, user: UserDep) -> HTMLResponse:
    """One credit note with its lines and the invoices it settled."""
    note: CreditNote = credit_notes.get_credit_note(session=session, credit_note_id=credit_note_id)
    return page(request, "finance_credit_note.html", {"note": note, "flabels": LABELS}, session=session, user=user)


def _as_of(raw: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        return clock.now().date()


@router.get("/ar-aging", response_class=HTMLResponse)
def aging_page(request: Request, session: SessionDep, user: UserDep, as_of: str = "", q: str = "") -> HTMLResponse:
    """Open AR per customer by days past due at a date, with totals."""
    report = receivables.aging(session=session, as_of=_as_of(as_of))
    term = q.strip().lower()
    rows = [r for r in report.rows if term in r.customer_code.lower() or term in r.customer_name.lower()]
    return page(request, "finance_aging.html", {
        "report": report, "rows": rows, "q": q.strip(), "flabels": LABELS, "buckets": list(BUCKET_LABELS),
        "csv_query": urlencode({"as_of": report.as_of.isoformat()}),
    }, session=session, user=user)


@router.get("/ar-aging.csv")
def aging_csv(request: Request, session: SessionDep, user: UserDep, as_of: str = "") -> Response:
    """The aging report as CSV: one row per customer and a total row; amounts as plain decimals."""
    report = receivables.aging(session=session, as_of=_as_of(as_of))
    gettext = gettext_for(request)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([gettext(N_("Customer code")), gettext(N_("Customer")), gettext(N_("Currency")),
                     *(gettext(label) for label in BUCKET_LABELS.values()), gettext(N_("Total"))])
    for row in report.rows:
        writer.writerow([row.customer_code, row.customer_name, row.currency,
                         *(getattr(row.buckets, name) for name in BUCKET_LABELS), row.total])
    writer.writerow(["", gettext(N_("Total")), "", *(getattr(report.totals, name) for name in BUCKET_LABELS),
                     report.total])
    name = f"ar-aging-{report.as_of.isoformat()}.csv"
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def customer_ar_context(session: Session, customer_id: int) -> dict[str, Any]:
    """What finance_customer_ar.html shows on the customer page: open AR by age, open invoices, payment history."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id} not found")
    today = clock.now().date()
    report = receivables.aging(session=session, as_of=today, customer_id=customer_id)
    open_rows = receivables.open_invoices(session=session, as_of=today, customer_id=customer_id)
    recent = list(session.scalars(select(Payment).where(Payment.customer_id == customer_id)
                                  .order_by(Payment.paid_on.desc(), Payment.id.desc()).limit(10)))
    return {
        "ar_customer": customer, "ar_today": today, "ar_flabels": LABELS, "ar_buckets": list(BUCKET_LABELS),
        "ar_aging": report.rows[0].buckets if report.rows else None, "ar_total": report.total,
        "ar_open_invoices": [(row.invoice, row.open_amount, row.invoice.days_overdue(today)) for row in open_rows],
        "ar_history": receivables.payment_history(session=session, customer_id=customer_id),
        "ar_credit": receivables.credit_check(session=session, customer_id=customer_id),
        "ar_recent_payments": recent,
    }
