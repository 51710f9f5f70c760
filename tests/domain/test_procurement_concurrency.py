"""Two transactions receiving against the same purchase order: the order lock makes the second wait and re-check."""

from __future__ import annotations

import threading
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from domain.errors import InvalidInput
from domain.procurement import orders
from domain.procurement.schemas import ReceiptLineCreate
from tests.factories import ACTOR, make_item, make_warehouse
from tests.procurement_factories import make_purchase_order, make_supplier


def _receive(session: Session, order_id: int, line_id: int, quantity: str) -> None:
    line = ReceiptLineCreate(purchase_order_line_id=line_id, received_qty=Decimal(quantity))
    orders.record_goods_receipt(session=session, purchase_order_id=order_id, lines=[line], actor=ACTOR)


def test_concurrent_receipts_cannot_accept_more_than_was_ordered(
    committing_sessionmaker: sessionmaker[Session],
) -> None:
    with committing_sessionmaker.begin() as setup:
        item, warehouse = make_item(setup), make_warehouse(setup)
        order = make_purchase_order(setup, make_supplier(setup, (item, "1.00")), warehouse, (item, "10"))
        order_id, line_id = order.id, order.lines[0].id
    errors: list[Exception] = []

    def receive_second() -> None:
        try:
            with committing_sessionmaker.begin() as other:
                _receive(other, order_id, line_id, "6")
        except InvalidInput as exc:
            errors.append(exc)

    with committing_sessionmaker() as holder:
        _receive(holder, order_id, line_id, "6")  # holds the purchase order row lock until commit
        racer = threading.Thread(target=receive_second)
        racer.start()
        racer.join(timeout=0.5)
        assert racer.is_alive(), "the second receipt should wait for the first transaction's lock"
        holder.commit()
    racer.join(timeout=30)

    assert len(errors) == 1 and "only 4.000 is still open" in errors[0].message
    with committing_sessionmaker() as check:
        assert orders.get_purchase_order(session=check, order_id=order_id).lines[0].accepted_qty == Decimal("6.000")
