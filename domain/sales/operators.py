"""Sales operations that service tasks may call (collected by the engine's registry)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from domain.operators import Operator
from domain.sales import quotes, service
from domain.sales.models import Quote, SalesOrder
from domain.sales.schemas import DiscountPct, QuoteCreate, QuoteLineCreate, SalesOrderLineCreate

# Service tasks run on behalf of the process, not a person; the engine does not pass a user.
ACTOR = "system"


class CreateSalesOrderParams(BaseModel):
    customer_code: str = Field(min_length=1)
    lines: list[SalesOrderLineCreate] = Field(min_length=1)
    business_key: str | None = None


class OrderParams(BaseModel):
    order_id: int = Field(gt=0)


class CreateQuoteParams(BaseModel):
    customer_code: str = Field(min_length=1)
    lines: list[QuoteLineCreate] = Field(min_length=1)
    valid_days: Annotated[int, Field(ge=1, le=365)] = 30
    valid_until: date | None = None
    opportunity_id: int | None = None
    business_key: str | None = None


class QuoteParams(BaseModel):
    quote_id: int = Field(gt=0)


class QuoteDiscountParams(QuoteParams):
    discount_pct: DiscountPct


class OrderFromQuoteParams(QuoteParams):
    business_key: str | None = None


def create_sales_order(
    *, session: Session, customer_code: str, lines: list[dict[str, Any]], business_key: str | None = None
) -> dict[str, Any]:
    """Create an order; lines arrive as the dumped dicts of SalesOrderLineCreate."""
    order = service.create_sales_order(
        session=session,
        customer_code=customer_code,
        lines=[SalesOrderLineCreate.model_validate(line) for line in lines],
        business_key=business_key,
        actor=ACTOR,
    )
    return _summary(order)


def confirm_order(*, session: Session, order_id: int) -> dict[str, Any]:
    """Confirm an order (after a credit check or approval)."""
    return _summary(service.confirm_order(session=session, order_id=order_id))


def create_quote(*, session: Session, customer_code: str, lines: list[dict[str, Any]], valid_days: int,
                 valid_until: date | None, opportunity_id: int | None, business_key: str | None) -> dict[str, Any]:
    """A draft quote at list prices (discounts come later from the discount policy)."""
    quote = quotes.create_quote(session=session, actor=ACTOR, data=QuoteCreate(
        customer_code=customer_code, lines=[QuoteLineCreate.model_validate(line) for line in lines],
        valid_days=valid_days, valid_until=valid_until, opportunity_id=opportunity_id, business_key=business_key))
    return quote_summary_of(quote)


def apply_quote_discount(*, session: Session, quote_id: int, discount_pct: Decimal) -> dict[str, Any]:
    """Set the policy's discount on every line of a draft quote."""
    return quote_summary_of(quotes.apply_quote_discount(session=session, quote_id=quote_id,
                                                        discount_pct=discount_pct))


def quote_summary(*, session: Session, quote_id: int) -> dict[str, Any]:
    """What the approval decision needs: amount, margin, the customer's tier and credit."""
    return quote_summary_of(quotes.get_quote(session=session, quote_id=quote_id))


def mark_quote_sent(*, session: Session, quote_id: int) -> dict[str, Any]:
    """The quote went to the customer."""
    return quote_summary_of(quotes.mark_quote_sent(session=session, quote_id=quote_id))


def mark_quote_accepted(*, session: Session, quote_id: int) -> dict[str, Any]:
    """The customer accepted the quote."""
    return quote_summary_of(quotes.mark_quote_accepted(session=session, quote_id=quote_id))


def mark_quote_rejected(*, session: Session, quote_id: int) -> dict[str, Any]:
    """The customer declined the quote."""
    return quote_summary_of(quotes.mark_quote_rejected(session=session, quote_id=quote_id))


def mark_quote_expired(*, session: Session, quote_id: int) -> dict[str, Any]:
    """The quote ran out without an answer (the acceptance timer fired)."""
    return quote_summary_of(quotes.mark_quote_expired(session=session, quote_id=quote_id))


def create_order_from_quote(*, session: Session, quote_id: int, business_key: str | None) -> dict[str, Any]:
    """A draft sales order from the accepted quote (again: the same order)."""
    order = quotes.create_order_from_quote(session=session, quote_id=quote_id, actor=ACTOR,
                                           business_key=business_key)
    return _summary(order) | {"quote_id": quote_id}


def quote_summary_of(quote: Quote) -> dict[str, Any]:
    """A quote as gateways and decision tables read it."""
    customer = quote.customer
    return {
        "quote_id": quote.id,
        "number": quote.number,
        "status": quote.status.value,
        "customer_code": customer.code,
        "customer_tier": customer.tier.value,
        "credit_rating": customer.credit_rating.value,
        "weak_credit": customer.weak_credit,
        "credit_limit": customer.credit_limit,
        "currency": quote.currency,
        "list_total": quote.list_total,
        "amount": quote.total,
        "discount_amount": quote.discount_amount,
        "margin_amount": quote.margin_amount,
        "margin_pct": quote.margin_pct,
        "valid_until": quote.valid_until,
        "line_count": len(quote.lines),
        "sales_order_id": quote.sales_order_id,
    }


def _summary(order: SalesOrder) -> dict[str, Any]:
    return {
        "id": order.id,
        "number": order.number,
        "total": order.total,
        "currency": order.currency,
        "line_count": len(order.lines),
        "status": order.status.value,
    }


OPERATORS: list[Operator] = [
    Operator(
        name="sales.create_sales_order",
        func=create_sales_order,
        params=CreateSalesOrderParams,
        description="Create a draft sales order for a customer from item skus, quantities and prices.",
    ),
    Operator(
        name="sales.confirm_order",
        func=confirm_order,
        params=OrderParams,
        description="Confirm a sales order (draft -> confirmed), e.g. after the credit check.",
    ),
    Operator(name="sales.create_quote", func=create_quote, params=CreateQuoteParams,
             description="Create a draft quote at the items' list prices; valid for valid_days (default 30)."),
    Operator(name="sales.apply_quote_discount", func=apply_quote_discount, params=QuoteDiscountParams,
             description="Apply a discount percentage (from the discount policy) to every line of a draft quote."),
    Operator(name="sales.quote_summary", func=quote_summary, params=QuoteParams,
             description="Amount, margin %, customer tier, credit rating and weak-credit flag of a quote."),
    Operator(name="sales.mark_quote_sent", func=mark_quote_sent, params=QuoteParams,
             description="Mark a draft quote sent to the customer."),
    Operator(name="sales.mark_quote_accepted", func=mark_quote_accepted, params=QuoteParams,
             description="Mark a sent quote accepted by the customer (refused once past its validity)."),
    Operator(name="sales.mark_quote_rejected", func=mark_quote_rejected, params=QuoteParams,
             description="Mark a sent quote rejected by the customer."),
    Operator(name="sales.mark_quote_expired", func=mark_quote_expired, params=QuoteParams,
             description="Mark a draft or sent quote expired (the acceptance timer ran out)."),
    Operator(name="sales.create_order_from_quote", func=create_order_from_quote, params=OrderFromQuoteParams,
             description="Create a draft sales order from an accepted quote (idempotent)."),
]
