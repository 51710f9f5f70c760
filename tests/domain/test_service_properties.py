"""Property: any sequence of returns, receipts, inspections and restocks never returns more than was shipped, and
keeps the stock ledger consistent (on_hand >= reserved >= 0, moves sum to on_hand, on hand = received - shipped +
restocked). A return is refused exactly when it asks for more than shipped less already returned."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.errors import Conflict, InvalidInput
from domain.inventory.models import Item, Shipment, ShipmentLine, StockBalance, StockMove, Warehouse
from domain.inventory.service import get_shipment, reserve_for_order, ship_order
from domain.service import returns
from domain.service.models import Disposition, InspectionResult, ReturnLine, ReturnOrder
from domain.service.schemas import InspectedLine, ReceivedLine, ReturnLineCreate, TicketCreate
from domain.service.service import create_ticket
from tests.factories import ACTOR, make_customer, make_item, make_order, make_warehouse, receive

ZERO = Decimal("0.000")
QUANTITY = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("8"), places=3)
INDEX = st.integers(0, 9)
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("open"), INDEX, INDEX, QUANTITY),
        st.tuples(st.just("receive"), INDEX, st.one_of(st.none(), QUANTITY)),
        st.tuples(st.just("inspect"), INDEX, st.sampled_from(list(Disposition))),
        st.tuples(st.just("restock"), INDEX),
    ),
    min_size=3,
    max_size=25,
)
ORDER_QUANTITIES = st.lists(st.tuples(st.integers(0, 1), QUANTITY), min_size=1, max_size=3)


class World:
    """Two items in one warehouse, a few shipped orders, a ticket, and what the ledger should hold."""

    def __init__(self, session: Session, orders: list[list[tuple[int, Decimal]]]) -> None:
        self.session = session
        customer = make_customer(session)
        self.items: list[Item] = [make_item(session), make_item(session)]
        self.warehouse: Warehouse = make_warehouse(session)
        self.expected_on_hand: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for item in self.items:
            receive(session, item, self.warehouse, "100")
            self.expected_on_hand[item.id] += Decimal("100")
        self.shipments: list[Shipment] = []
        for lines in orders:
            order = make_order(session, customer, *((self.items[i], q) for i, q in lines))
            reserve_for_order(session=session, order_id=order.id)
            outcome = ship_order(session=session, order_id=order.id, actor=ACTOR)
            self.shipments.append(get_shipment(session=session, shipment_id=outcome.shipment_id))
            for shipped in outcome.shipped:
                self.expected_on_hand[shipped.item_id] -= shipped.quantity
        self.ticket_id = create_ticket(session=session, actor=ACTOR,
                                       data=TicketCreate(customer_code=customer.code, subject="Returns")).id
        self.returns: list[ReturnOrder] = []
        self.returned: dict[int, Decimal] = defaultdict(lambda: ZERO)

    def apply(self, step: tuple[Any, ...]) -> None:
        kind, *args = step
        getattr(self, kind)(*args)

    def open(self, shipment_index: int, line_index: int, quantity: Decimal) -> None:
        shipment = self.shipments[shipment_index % len(self.shipments)]
        line = shipment.lines[line_index % len(shipment.lines)]
        fits = quantity <= line.quantity - self.returned[line.id]
        try:
            rma = returns.open_return(session=self.session, ticket_id=self.ticket_id, shipment_id=shipment.id,
                                      lines=[ReturnLineCreate(shipment_line_id=line.id, quantity=quantity)],
                                      actor=ACTOR)
        except InvalidInput:
            assert not fits, "a return within the shipped quantity was refused"
            return
        assert fits, "a return beyond the shipped quantity was accepted"
        self.returned[line.id] += quantity
        self.returns.append(rma)

    def receive(self, index: int, quantity: Decimal | None) -> None:
        if not self.returns:
            return
        rma = self.returns[index % len(self.returns)]
        lines = None if quantity is None else [ReceivedLine(line_id=rma.lines[0].id, quantity=quantity)]
        try:
            returns.receive_return(session=self.session, return_id=rma.id, lines=lines)
        except InvalidInput:
            return  # more than outstanding, or nothing left: refused, nothing changed

    def inspect(self, index: int, disposition: Disposition) -> None:
        if not self.returns:
            return
        rma = self.returns[index % len(self.returns)]
        try:
            returns.inspect_return(session=self.session, return_id=rma.id, lines=[
                InspectedLine(line_id=rma.lines[0].id, result=InspectionResult.OK, disposition=disposition)])
        except InvalidInput:
            return  # nothing awaiting inspection
        except Conflict:
            assert rma.lines[0].disposition not in (None, disposition)  # only a change of disposition conflicts

    def restock(self, index: int) -> None:
        if not self.returns:
            return
        rma = self.returns[index % len(self.returns)]
        for move in returns.restock_return(session=self.session, return_id=rma.id, actor=ACTOR):
            self.expected_on_hand[move.item_id] += move.quantity


def _assert_consistent(world: World) -> None:
    session = world.session
    session.expire_all()
    line_ids = [line.id for shipment in world.shipments for line in shipment.lines]
    returned = dict(session.execute(select(ReturnLine.shipment_line_id, func.sum(ReturnLine.quantity))
                                    .where(ReturnLine.shipment_line_id.in_(line_ids))
                                    .group_by(ReturnLine.shipment_line_id)).all())
    for line in session.scalars(select(ShipmentLine).where(ShipmentLine.id.in_(line_ids))):
        assert Decimal(returned.get(line.id, ZERO)) <= line.quantity
    for rma in world.returns:
        for rl in rma.lines:
            assert ZERO <= rl.restocked_qty <= rl.inspected_qty <= rl.received_qty <= rl.quantity
            if rl.disposition is not Disposition.RESTOCK:
                assert rl.restocked_qty == ZERO
    for item in world.items:
        balance = session.get(StockBalance, (item.id, world.warehouse.id))
        assert balance is not None
        moves = session.scalars(select(StockMove.quantity).where(StockMove.item_id == item.id)).all()
        assert balance.on_hand >= balance.reserved >= 0
        assert sum(moves, ZERO) == balance.on_hand == world.expected_on_hand[item.id]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(orders=st.lists(ORDER_QUANTITIES, min_size=1, max_size=2), steps=STEPS)
def test_returns_never_exceed_shipments_and_restocks_keep_the_ledger_consistent(
    session: Session, orders: list[list[tuple[int, Decimal]]], steps: list[tuple[Any, ...]]
) -> None:
    savepoint = session.begin_nested()  # each example sees only its own data
    try:
        world = World(session, orders)
        for step in steps:
            world.apply(step)
            _assert_consistent(world)
    finally:
        savepoint.rollback()
