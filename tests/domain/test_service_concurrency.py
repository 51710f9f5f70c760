"""Two transactions returning the same shipped goods: the order lock makes the second wait and see the first."""

from __future__ import annotations

import threading
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from domain.errors import InvalidInput
from domain.inventory.service import get_shipment, reserve_for_order, ship_order
from domain.service.returns import open_return
from domain.service.schemas import ReturnLineCreate, TicketCreate
from domain.service.service import create_ticket
from tests.factories import ACTOR, make_customer, make_item, make_order, make_warehouse, receive


def test_concurrent_returns_cannot_both_take_the_shipped_quantity(
    committing_sessionmaker: sessionmaker[Session],
) -> None:
    with committing_sessionmaker.begin() as setup:
        customer, item, warehouse = make_customer(setup), make_item(setup), make_warehouse(setup)
        receive(setup, item, warehouse, "5")
        order = make_order(setup, customer, (item, "3"))
        reserve_for_order(session=setup, order_id=order.id)
        shipment_id = ship_order(session=setup, order_id=order.id, actor=ACTOR).shipment_id
        line_id = get_shipment(session=setup, shipment_id=shipment_id).lines[0].id
        # Two tickets: the order lock, not a shared ticket lock, must keep the returns apart.
        first, second = (create_ticket(session=setup, actor=ACTOR,
                                       data=TicketCreate(customer_code=customer.code, subject="Return all")).id
                         for _ in range(2))
    whole = [ReturnLineCreate(shipment_line_id=line_id, quantity=Decimal("3"))]
    errors: list[InvalidInput] = []

    def return_again() -> None:
        try:
            with committing_sessionmaker.begin() as other:
                open_return(session=other, ticket_id=second, shipment_id=shipment_id, lines=whole, actor=ACTOR)
        except InvalidInput as exc:
            errors.append(exc)

    with committing_sessionmaker() as holder:
        open_return(session=holder, ticket_id=first, shipment_id=shipment_id, lines=whole, actor=ACTOR)
        racer = threading.Thread(target=return_again)
        racer.start()
        racer.join(timeout=0.5)
        assert racer.is_alive(), "the second return should wait for the first transaction's lock"
        holder.commit()
    racer.join(timeout=30)

    assert [exc.code for exc in errors] == ["over_return"]
