"""The business context of an instance (customer, quote, order, invoice) as labelled, locale-formatted facts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from engine.models import ProcessDefinition, ProcessInstance
from web.i18n import Formatter
from web.pages.labels import TIER_LABELS, label

Facts = list[tuple[str, str]]


def _dict(variables: dict[str, Any], key: str) -> dict[str, Any]:
    value = variables.get(key)
    return value if isinstance(value, dict) else {}


def _money(fmt: Formatter, amount: Any, currency: str) -> str:
    try:
        return fmt.money(amount, currency)
    except (ArithmeticError, ValueError, TypeError):
        return str(amount)


def instance_facts(instance: ProcessInstance, definition: ProcessDefinition | None, fmt: Formatter,
                   _: Callable[[str], str]) -> Facts:
    """What a person working on the instance wants to see first, in a fixed order; absent values are left out."""
    v = instance.variables or {}
    customer = _dict(v, "customer")
    currency = str(customer.get("currency") or "CNY")
    facts: Facts = [(_("Business key"), instance.business_key or "")]
    if definition is not None:
        facts.append((_("Process"), f"{definition.name} · v{definition.version}"))
    if customer:
        facts.append((_("Customer"), f"{customer.get('name', '')} ({customer.get('code', '')})"))
        facts.append((_("Customer tier"), _(label(TIER_LABELS, customer.get("tier", "")))))
    if v.get("lead_title"):
        facts.append((_("Lead"), str(v["lead_title"])))
    facts += _new_company(v, customer, _)
    facts += _quote(v, fmt, _, currency)
    if v.get("decision"):  # the director's last word, for a quote sent back
        facts += [(_("Decision"), str(v["decision"])), (_("Comment"), str(v.get("comment") or ""))]
    facts += _documents(v, fmt, _, currency)
    facts += _pool(v, _)
    facts += _service(v, fmt, _)
    facts += _procurement(v, fmt, _)
    return [(k, val) for k, val in facts if val]


def _new_company(v: dict[str, Any], customer: dict[str, Any], _: Callable[[str], str]) -> Facts:
    """A lead for a company that is no customer yet: whom the first contact calls."""
    lead = _dict(v, "lead")
    if customer or not lead.get("company"):
        return []
    reach = " · ".join(str(v[k]) for k in ("contact_name", "phone", "email") if v.get(k))
    return [(_("Company"), str(lead["company"])), (_("Contact"), reach), (_("Region"), str(lead.get("region") or "")),
            (_("Industry"), str(lead.get("industry") or ""))]


def _quote(v: dict[str, Any], fmt: Formatter, _: Callable[[str], str], currency: str) -> Facts:
    """Lead to cash: the quote, and what the approval decides on (margin, credit exposure, payment history)."""
    quote, credit = _dict(v, "quote"), _dict(v, "credit")
    facts: Facts = []
    if quote:
        facts.append((_("Quote"), f"{quote.get('number', '')} · {quote.get('status', '')}"))
        facts.append((_("Quote amount"), _money(fmt, quote.get("amount"), str(quote.get("currency") or currency))))
        if quote.get("margin_pct") is not None:
            facts.append((_("Margin"), f"{fmt.number(quote['margin_pct'])} %"))
    if v.get("approval_reason"):
        facts.append((_("Approval reason"), str(v["approval_reason"])))
    if credit:
        open_now, added = _money(fmt, credit.get("exposure"), currency), _money(fmt, credit.get("additional_amount"),
                                                                                 currency)
        facts.append((_("Credit exposure (with this quote)"), f"{open_now} + {added}"))
        facts.append((_("Credit limit"), _money(fmt, credit.get("limit"), currency)))
        days = credit.get("average_days_to_pay")
        history = _("%(days)s days to pay on average, %(late)s late, %(overdue)s overdue now")
        facts.append((_("Payment history"), history % {
            "days": fmt.number(days) if days is not None else "–", "late": credit.get("late_payments", 0),
            "overdue": credit.get("open_overdue", 0)}))
    return facts


def _documents(v: dict[str, Any], fmt: Formatter, _: Callable[[str], str], currency: str) -> Facts:
    facts: Facts = []
    order, invoice, payment = _dict(v, "sales_order"), _dict(v, "invoice"), _dict(v, "payment")
    if order:
        facts.append((_("Sales order"), str(order.get("number", ""))))
        facts.append((_("Order total"), _money(fmt, order.get("total"), str(order.get("currency") or currency))))
    if invoice:
        facts.append((_("Invoice"), str(invoice.get("number", ""))))
        facts.append((_("Invoice total"), _money(fmt, invoice.get("total"), str(invoice.get("currency") or currency))))
        if invoice.get("due_date"):
            facts.append((_("Invoice due"), fmt.date(str(invoice["due_date"]))))
    if payment and payment.get("open_amount") is not None:
        facts.append((_("Open amount"), _money(fmt, payment.get("open_amount"), currency)))
    return facts


def _pool(v: dict[str, Any], _: Callable[[str], str]) -> Facts:
    """The inactive-customers rule: the customers of the task's team that went to the shared pool."""
    pool = _dict(v, "pool")
    entries = [e for e in pool.get("customers") or [] if isinstance(e, dict)
               and (not v.get("team") or e.get("sales_team") == v.get("team"))]
    if not entries:
        return []
    names = ", ".join(f"{e.get('name', '')} ({e.get('code', '')})" for e in entries)
    return [(_("Team"), str(v.get("team") or "")), (_("Customers moved to the pool"), names)]


def _service(v: dict[str, Any], fmt: Formatter, _: Callable[[str], str]) -> Facts:
    """After sales: the ticket and its SLA due times, the route, and the return lines with their ids (inspection
    names them) and dispositions."""
    ticket, rma, survey = _dict(v, "ticket"), _dict(v, "rma"), _dict(v, "survey")
    facts: Facts = []
    if ticket:
        facts.append((_("Ticket"), f"{ticket.get('number', '')} · {ticket.get('priority', '')} · "
                                   f"{ticket.get('status', '')}"))
        if not v.get("customer") and v.get("customer_code"):
            facts.append((_("Customer"), str(v["customer_code"])))
        facts.append((_("Subject"), str(v.get("subject") or "")))
        for key, title in (("response_due_at", _("First response due")), ("resolution_due_at", _("Resolution due"))):
            if ticket.get(key):
                facts.append((title, fmt.datetime(datetime.fromisoformat(str(ticket[key])))))
        facts.append((_("Technician"), str(ticket.get("technician") or "")))
    if v.get("route"):
        facts.append((_("Resolution route"), str(v["route"])))
    if rma:
        facts.append((_("Return"), f"{rma.get('number', '')} · {rma.get('status', '')} · {v.get('remedy', '')}"))
        line_label = _("Return line")
        for line in rma.get("lines") or []:
            disposition = f" · {line['disposition']}" if line.get("disposition") else ""
            facts.append((f"{line_label} {line.get('line_id')}",
                          f"{line.get('item_sku')} × {fmt.number(line.get('quantity'))}{disposition}"))
    if survey.get("answered"):
        facts.append((_("Survey score"), str(survey.get("score"))))
    return facts


def quote_lines(instance: ProcessInstance) -> list[dict[str, Any]]:
    """The quote lines of the instance, if any."""
    lines = (instance.variables or {}).get("lines")
    return [line for line in lines if isinstance(line, dict)] if isinstance(lines, list) else []


def _procurement(v: dict[str, Any], fmt: Formatter, _: Callable[[str], str]) -> Facts:
    """The procurement process: requests and their value, supplier, purchase order, last receipt, supplier invoice."""
    requests, order, supplier = _dict(v, "requests"), _dict(v, "purchase_order"), _dict(v, "supplier")
    receipt, invoice, match = _dict(v, "receipt"), _dict(v, "supplier_invoice"), _dict(v, "invoice_match")
    currency = str(order.get("currency") or "CNY")
    facts: Facts = []
    if requests.get("requests"):
        facts.append((_("Purchase requests"), ", ".join(
            f"{r.get('number', '')} ({r.get('item_sku', '')} × {fmt.number(r.get('quantity'))})"
            for r in requests["requests"] if isinstance(r, dict))))
        facts.append((_("Request value"), _money(fmt, requests.get("total_value"), "CNY")))
    if v.get("order_number"):  # started by a sales order short of stock
        facts.append((_("Short sales order"), str(v["order_number"])))
    if supplier:
        facts.append((_("Supplier"), f"{supplier.get('supplier_name', '')} ({supplier.get('supplier_code', '')})"))
    if order:
        facts.append((_("Purchase order"), f"{order.get('number', '')} · {_money(fmt, order.get('total'), currency)}"))
        facts.append((_("Ordered items"), ", ".join(
            f"{line.get('item_sku', '')} × {fmt.number(line.get('quantity'))} @ "
            f"{_money(fmt, line.get('unit_price'), currency)}" for line in order.get("lines") or []
            if isinstance(line, dict))))
        facts.append((_("Expected delivery"), fmt.date(v.get("expected_date") or order.get("expected_date"))))
    if receipt:
        accepted, rejected = _("accepted"), _("rejected")
        facts.append((_("Last goods receipt"), f"{receipt.get('number', '')}: {fmt.number(receipt.get('accepted_qty'))}"
                      f" {accepted}, {fmt.number(receipt.get('rejected_qty'))} {rejected}"))
    if invoice:
        facts.append((_("Supplier invoice"), f"{invoice.get('supplier_number', '')} ({invoice.get('number', '')}) · "
                      f"{_money(fmt, invoice.get('total'), str(invoice.get('currency') or currency))}"))
    if match.get("mismatches"):
        reasons = {"quantity_not_received": _("quantity not received"), "price_differs": _("price differs"),
                   "total_differs": _("total differs"), "currency_differs": _("currency differs")}
        total = _("total")
        facts.append((_("Invoice mismatches"), "; ".join(
            f"{m.get('item_sku') or total}: {reasons.get(str(m.get('reason')), str(m.get('reason')))} "
            f"({fmt.number(m.get('expected'))} → "
            f"{fmt.number(m.get('invoiced'))})" for m in match["mismatches"] if isinstance(m, dict))))
    return facts
