"""The business context of an instance (customer, quote, order, invoice) as labelled, locale-formatted facts."""

from __future__ import annotations

from collections.abc import Callable
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
    for key, title in (("quote_total", _("Quote total")), ("approval_threshold", _("Approval threshold"))):
        if v.get(key) not in (None, ""):
            facts.append((title, _money(fmt, v[key], currency)))
    if v.get("decision"):  # the director's last word, for a quote sent back
        facts += [(_("Decision"), str(v["decision"])), (_("Comment"), str(v.get("comment") or ""))]
    facts += _documents(v, fmt, _, currency)
    facts += _pool(v, _)
    return [(k, val) for k, val in facts if val]


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


def quote_lines(instance: ProcessInstance) -> list[dict[str, Any]]:
    """The quote lines of the instance, if any."""
    lines = (instance.variables or {}).get("lines")
    return [line for line in lines if isinstance(line, dict)] if isinstance(lines, list) else []
