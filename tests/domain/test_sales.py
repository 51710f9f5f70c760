"""Sales orders: numbering, pricing to the cent, derived status, and the sales.create_sales_order operator."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session

from domain.errors import InvalidInput, NotFound
from domain.finance.service import create_invoice_for_order
from domain.inventory.service import reserve_for_order, ship_order
from domain.sales import service
from domain.sales.models import OrderStatus
from domain.sales.operators import CreateSalesOrderParams, create_sales_order
from domain.sales.pricing import net_amount
from domain.sales.schemas import SalesOrderLineCreate
from tests.factories import ACTOR, make_customer, make_item, make_order, make_warehouse, receive


def test_order_number_is_generated_from_the_id(session: Session) -> None:
    order = make_order(session, make_customer(session), (make_item(session), "1"))

    assert order.number == f"SO-{order.id:06d}"


def test_order_takes_the_customer_currency(session: Session) -> None:
    order = make_order(session, make_customer(session, currency="EUR"), (make_item(session), "1"))

    assert order.currency == "EUR"


def test_line_net_amount_rounds_half_up_to_the_cent() -> None:
    amount = net_amount(quantity=Decimal("3"), unit_price=Decimal("0.35"), discount_pct=Decimal("50"))

    assert amount == Decimal("0.53")  # 0.525 exactly, rounded half-up, not to even


def test_money_is_decimal_to_the_cent(session: Session) -> None:
    customer, a, b = make_customer(session), make_item(session), make_item(session)
    order = make_order(session, customer, (a, "1", "0.10"), (b, "1", "0.20"))
    session.expire_all()

    reloaded = service.get_order(session=session, order_id=order.id)

    assert all(isinstance(line.unit_price, Decimal) for line in reloaded.lines)
    assert reloaded.total == Decimal("0.30")
    assert reloaded.total.as_tuple().exponent == -2


def test_unknown_sku_is_not_found(session: Session) -> None:
    line = SalesOrderLineCreate(item_sku="NO-SUCH", quantity=Decimal("1"), unit_price=Decimal("1"))

    with pytest.raises(NotFound, match="NO-SUCH"):
        service.create_sales_order(
            session=session, customer_code=make_customer(session).code, lines=[line], actor=ACTOR
        )


def test_inactive_item_cannot_be_ordered(session: Session) -> None:
    with pytest.raises(InvalidInput):
        make_order(session, make_customer(session), (make_item(session, active=False), "1"))


def test_order_without_lines_is_rejected(session: Session) -> None:
    with pytest.raises(InvalidInput):
        service.create_sales_order(session=session, customer_code=make_customer(session).code, lines=[], actor=ACTOR)


def test_discount_above_100_percent_is_rejected() -> None:
    with pytest.raises(ValidationError):
        SalesOrderLineCreate(item_sku="X", quantity=Decimal("1"), unit_price=Decimal("1"), discount_pct=Decimal("101"))


def test_new_order_is_draft(session: Session) -> None:
    order = make_order(session, make_customer(session), (make_item(session), "1"))

    assert order.status is OrderStatus.DRAFT


def test_confirmed_order_is_confirmed(session: Session) -> None:
    order = make_order(session, make_customer(session), (make_item(session), "1"))

    assert service.confirm_order(session=session, order_id=order.id).status is OrderStatus.CONFIRMED


def test_order_with_part_delivered_is_partially_shipped(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    receive(session, item, warehouse, "2")
    order = make_order(session, make_customer(session), (item, "5"))
    reserve_for_order(session=session, order_id=order.id)

    ship_order(session=session, order_id=order.id, actor=ACTOR)

    assert order.status is OrderStatus.PARTIALLY_SHIPPED


def test_order_with_everything_delivered_is_shipped(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    receive(session, item, warehouse, "5")
    order = make_order(session, make_customer(session), (item, "5"))
    reserve_for_order(session=session, order_id=order.id)

    ship_order(session=session, order_id=order.id, actor=ACTOR)

    assert order.status is OrderStatus.SHIPPED


def test_order_with_everything_invoiced_is_invoiced(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    receive(session, item, warehouse, "5")
    order = make_order(session, make_customer(session), (item, "5"))
    reserve_for_order(session=session, order_id=order.id)
    ship_order(session=session, order_id=order.id, actor=ACTOR)

    create_invoice_for_order(session=session, order_id=order.id, issue_date=date(2025, 1, 31))

    assert order.status is OrderStatus.INVOICED


def test_create_sales_order_operator_takes_engine_params(session: Session) -> None:
    customer, item = make_customer(session), make_item(session)
    raw = {
        "customer_code": customer.code,
        "lines": [{"item_sku": item.sku, "quantity": "3", "unit_price": 19.99, "discount_pct": "10"}],
        "business_key": "lead-42",
    }
    params = CreateSalesOrderParams.model_validate(raw)

    result = create_sales_order(session=session, **params.model_dump())

    order = service.get_order(session=session, order_id=result["id"])
    assert result == {
        "id": order.id,
        "number": order.number,
        "total": Decimal("53.97"),
        "currency": "CNY",
        "line_count": 1,
        "status": "draft",
    }
    assert order.business_key == "lead-42"
