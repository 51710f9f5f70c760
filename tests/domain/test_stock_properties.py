"""Property: any sequence of receipts, adjustments, orders, reservations, shipments and releases keeps the
stock ledger consistent: on_hand >= reserved >= 0, moves sum to on_hand, reserved equals the active
reservations, and each line's delivered quantity equals its consumed reservations. Exact Decimals throughout."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.errors import InvalidInput
from domain.inventory import service
from domain.inventory.models import Item, Reservation, ReservationStatus, StockBalance, StockMove, Warehouse
from domain.sales.models import SalesOrder
from tests.factories import ACTOR, make_customer, make_item, make_order, make_warehouse, receive

ZERO = Decimal("0.000")
QUANTITY = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("20"), places=3)
SIGNED = st.decimals(min_value=Decimal("-20"), max_value=Decimal("20"), places=3).filter(lambda q: q != 0)
SLOT = st.integers(0, 1)
ORDER = st.integers(0, 9)
ORDER_LINES = st.lists(st.tuples(SLOT, QUANTITY), min_size=1, max_size=3)
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("receive"), SLOT, SLOT, QUANTITY),
        st.tuples(st.just("adjust"), SLOT, SLOT, SIGNED),
        st.tuples(st.just("order"), ORDER_LINES),
        st.tuples(st.just("reserve"), ORDER),
        st.tuples(st.just("ship"), ORDER),
        st.tuples(st.just("release"), ORDER),
    ),
    min_size=3,
    max_size=25,
)
# Every example starts with stock in each (item, warehouse) and at least one order, so short step lists
# already reserve and ship something.
OPENING = st.lists(st.tuples(st.just("receive"), SLOT, SLOT, QUANTITY), min_size=2, max_size=4)
ORDERS = st.lists(st.tuples(st.just("order"), ORDER_LINES), min_size=1, max_size=3)


class World:
    """The example's items, warehouses and orders, and the on-hand total each item should have."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.customer = make_customer(session)
        self.items: list[Item] = [make_item(session), make_item(session)]
        self.warehouses: list[Warehouse] = [make_warehouse(session), make_warehouse(session)]
        self.orders: list[SalesOrder] = []
        self.expected_on_hand: dict[int, Decimal] = defaultdict(lambda: ZERO)

    def apply(self, step: tuple[Any, ...]) -> None:
        kind, *args = step
        getattr(self, kind)(*args)

    def receive(self, item: int, warehouse: int, quantity: Decimal) -> None:
        receive(self.session, self.items[item], self.warehouses[warehouse], quantity)
        self.expected_on_hand[self.items[item].id] += quantity

    def adjust(self, item: int, warehouse: int, quantity: Decimal) -> None:
        ids = {"item_id": self.items[item].id, "warehouse_id": self.warehouses[warehouse].id}
        try:
            service.adjust_stock(session=self.session, quantity=quantity, reference="count", actor=ACTOR, **ids)
        except InvalidInput:
            return  # would take on hand below reserved: refused, nothing changed
        self.expected_on_hand[self.items[item].id] += quantity

    def order(self, lines: list[tuple[int, Decimal]]) -> None:
        self.orders.append(make_order(self.session, self.customer, *((self.items[i], q) for i, q in lines)))

    def reserve(self, index: int) -> None:
        service.reserve_for_order(session=self.session, order_id=self._order_id(index))

    def ship(self, index: int) -> None:
        try:
            outcome = service.ship_order(session=self.session, order_id=self._order_id(index), actor=ACTOR)
        except InvalidInput:
            return  # nothing reserved to ship
        for shipped in outcome.shipped:
            self.expected_on_hand[shipped.item_id] -= shipped.quantity

    def release(self, index: int) -> None:
        service.release_for_order(session=self.session, order_id=self._order_id(index))

    def _order_id(self, index: int) -> int:
        return self.orders[index % len(self.orders)].id  # the opening steps always create an order


def _assert_ledger_consistent(world: World) -> None:
    session = world.session
    session.expire_all()  # read what the database holds, not what the session remembers
    item_ids = [item.id for item in world.items]
    on_hand_by_item: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for balance in session.scalars(select(StockBalance).where(StockBalance.item_id.in_(item_ids))):
        key = (StockMove.item_id == balance.item_id, StockMove.warehouse_id == balance.warehouse_id)
        moves = session.scalars(select(StockMove.quantity).where(*key)).all()
        active = session.scalars(
            select(Reservation.quantity).where(
                Reservation.item_id == balance.item_id,
                Reservation.warehouse_id == balance.warehouse_id,
                Reservation.status == ReservationStatus.ACTIVE,
            )
        ).all()
        assert all(isinstance(q, Decimal) for q in (balance.on_hand, balance.reserved, *moves))
        assert balance.on_hand >= balance.reserved >= 0
        assert sum(moves, ZERO) == balance.on_hand
        assert sum(active, ZERO) == balance.reserved
        on_hand_by_item[balance.item_id] += balance.on_hand
    assert {i: on_hand_by_item[i] for i in item_ids} == {i: world.expected_on_hand[i] for i in item_ids}
    for order in world.orders:
        for line in order.lines:
            held = session.scalars(select(Reservation).where(Reservation.sales_order_line_id == line.id)).all()
            consumed = sum((r.quantity for r in held if r.status is ReservationStatus.CONSUMED), ZERO)
            active_or_consumed = sum((r.quantity for r in held if r.status is not ReservationStatus.RELEASED), ZERO)
            assert line.delivered_qty == consumed
            assert active_or_consumed <= line.quantity


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(opening=OPENING, orders=ORDERS, steps=STEPS)
def test_random_stock_operations_keep_the_ledger_consistent(
    session: Session, opening: list[tuple[Any, ...]], orders: list[tuple[Any, ...]], steps: list[tuple[Any, ...]]
) -> None:
    savepoint = session.begin_nested()  # each example sees only its own data
    try:
        world = World(session)
        for step in [*opening, *orders, *steps]:
            world.apply(step)
            _assert_ledger_consistent(world)
    finally:
        savepoint.rollback()
