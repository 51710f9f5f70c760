"""Two transactions reserving the same stock: the balance lock makes the second wait and see what is left."""

from __future__ import annotations

import threading
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from domain.inventory.schemas import ReservationOutcome
from domain.inventory.service import reserve_for_order
from tests.factories import make_customer, make_item, make_order, make_warehouse, receive


def test_concurrent_reservations_do_not_oversell(committing_sessionmaker: sessionmaker[Session]) -> None:
    with committing_sessionmaker.begin() as setup:
        item, customer = make_item(setup), make_customer(setup)
        receive(setup, item, make_warehouse(setup), "5")
        first, second = (make_order(setup, customer, (item, "4")).id for _ in range(2))
    outcomes: list[ReservationOutcome] = []

    def reserve_second() -> None:
        with committing_sessionmaker.begin() as other:
            outcomes.append(reserve_for_order(session=other, order_id=second))

    with committing_sessionmaker() as holder:
        reserve_for_order(session=holder, order_id=first)  # holds the balance row lock until commit
        racer = threading.Thread(target=reserve_second)
        racer.start()
        racer.join(timeout=0.5)
        assert racer.is_alive(), "the second reservation should wait for the first transaction's lock"
        holder.commit()
    racer.join(timeout=30)

    (outcome,) = outcomes
    assert [(s.item_sku, s.quantity) for s in outcome.shortages] == [(item.sku, Decimal("3.000"))]
