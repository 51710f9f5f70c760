"""Property: any sequence of purchase orders, goods receipts (with rejections), returns to suppliers, sales
reservations and shipments keeps the ledger consistent: stock never negative, reserved <= on hand, the moves sum
to each balance, purchase lines agree with their receipts, and shipments record exactly what was consumed."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.errors import InvalidInput
from domain.inventory import service
from domain.inventory.models import (
    Item,
    Reservation,
    ReservationStatus,
    Shipment,
    ShipmentLine,
    StockBalance,
    StockMove,
    Warehouse,
)
from domain.procurement import orders as purchasing
from domain.procurement.models import GoodsReceipt, GoodsReceiptLine, PurchaseOrder, SupplierReturn
from domain.procurement.schemas import ReceiptLineCreate
from domain.sales.models import SalesOrder
from tests.factories import ACTOR, make_customer, make_item, make_order, make_warehouse
from tests.procurement_factories import make_purchase_order, make_supplier

ZERO = Decimal("0.000")
QUANTITY = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("20"), places=3)
SHARE = st.sampled_from([Decimal("0"), Decimal("0.25"), Decimal("0.5"), Decimal("1")])
SLOT = st.integers(0, 1)
INDEX = st.integers(0, 9)
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("purchase"), SLOT, SLOT, QUANTITY),
        st.tuples(st.just("receive"), INDEX, QUANTITY, SHARE),
        st.tuples(st.just("return_rejected"), INDEX),
        st.tuples(st.just("return_from_stock"), INDEX, QUANTITY),
        st.tuples(st.just("order"), SLOT, QUANTITY),
        st.tuples(st.just("reserve"), INDEX),
        st.tuples(st.just("ship"), INDEX),
    ),
    min_size=3,
    max_size=16,
)
# Every example opens with a purchase order per item and a sales order, so short step lists already do something.
OPENING = [("purchase", 0, 0, Decimal("10")), ("purchase", 1, 1, Decimal("10")), ("order", 0, Decimal("4"))]


class World:
    """The example's items, warehouses, purchase and sales orders, receipts, and each item's expected on hand."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.customer = make_customer(session)
        self.items: list[Item] = [make_item(session), make_item(session)]
        self.warehouses: list[Warehouse] = [make_warehouse(session), make_warehouse(session)]
        self.supplier = make_supplier(session, *((item, "2.00") for item in self.items))
        self.purchases: list[PurchaseOrder] = []
        self.receipts: list[GoodsReceipt] = []
        self.sales: list[SalesOrder] = []
        self.expected_on_hand: dict[int, Decimal] = defaultdict(lambda: ZERO)

    def apply(self, step: tuple[Any, ...]) -> None:
        kind, *args = step
        getattr(self, kind)(*args)

    def purchase(self, item: int, warehouse: int, quantity: Decimal) -> None:
        order = make_purchase_order(
            self.session, self.supplier, self.warehouses[warehouse], (self.items[item], quantity)
        )
        self.purchases.append(order)

    def receive(self, index: int, quantity: Decimal, rejected_share: Decimal) -> None:
        order = self.purchases[index % len(self.purchases)]
        line = order.lines[0]
        rejected = (quantity * rejected_share).quantize(Decimal("0.001"))
        data = ReceiptLineCreate(purchase_order_line_id=line.id, received_qty=quantity, rejected_qty=rejected)
        try:
            receipt = purchasing.record_goods_receipt(
                session=self.session, purchase_order_id=order.id, lines=[data], actor=ACTOR
            )
        except InvalidInput:
            return  # more accepted than still open: refused, nothing changed
        self.receipts.append(receipt)
        self.expected_on_hand[line.item_id] += quantity - rejected

    def return_rejected(self, index: int) -> None:
        if self.receipts:
            receipt = self.receipts[index % len(self.receipts)]
            purchasing.return_rejected(session=self.session, receipt_id=receipt.id, actor=ACTOR)

    def return_from_stock(self, index: int, quantity: Decimal) -> None:
        if not self.receipts:
            return
        line = self.receipts[index % len(self.receipts)].lines[0]
        try:
            purchasing.return_from_stock(
                session=self.session, receipt_line_id=line.id, quantity=quantity, reason="defect", actor=ACTOR
            )
        except InvalidInput:
            return  # more than accepted, or the stock is reserved: refused, nothing changed
        self.expected_on_hand[line.item_id] -= quantity

    def order(self, item: int, quantity: Decimal) -> None:
        self.sales.append(make_order(self.session, self.customer, (self.items[item], quantity)))

    def reserve(self, index: int) -> None:
        service.reserve_for_order(session=self.session, order_id=self.sales[index % len(self.sales)].id)

    def ship(self, index: int) -> None:
        try:
            outcome = service.ship_order(
                session=self.session, order_id=self.sales[index % len(self.sales)].id, actor=ACTOR
            )
        except InvalidInput:
            return  # nothing reserved to ship
        for shipped in outcome.shipped:
            self.expected_on_hand[shipped.item_id] -= shipped.quantity


def _assert_stock_consistent(world: World) -> None:
    session = world.session
    session.expire_all()  # read what the database holds, not what the session remembers
    item_ids = [item.id for item in world.items]
    on_hand: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for balance in session.scalars(select(StockBalance).where(StockBalance.item_id.in_(item_ids))):
        key = (StockMove.item_id == balance.item_id, StockMove.warehouse_id == balance.warehouse_id)
        moves = session.scalars(select(StockMove.quantity).where(*key)).all()
        assert balance.on_hand >= balance.reserved >= 0
        assert sum(moves, ZERO) == balance.on_hand
        on_hand[balance.item_id] += balance.on_hand
    assert {i: on_hand[i] for i in item_ids} == {i: world.expected_on_hand[i] for i in item_ids}


def _assert_purchases_consistent(world: World) -> None:
    session = world.session
    for order in world.purchases:
        for line in order.lines:
            receipt_lines = session.scalars(
                select(GoodsReceiptLine).where(GoodsReceiptLine.purchase_order_line_id == line.id)
            ).all()
            assert line.accepted_qty == sum((rl.accepted_qty for rl in receipt_lines), ZERO)
            assert line.received_qty == sum((rl.received_qty for rl in receipt_lines), ZERO)
            assert line.accepted_qty <= line.quantity
            for rl in receipt_lines:
                assert rl.accepted_qty + rl.rejected_qty == rl.received_qty
                returned = session.scalar(
                    select(func.coalesce(func.sum(SupplierReturn.quantity), 0)).where(
                        SupplierReturn.receipt_line_id == rl.id
                    )
                )
                assert Decimal(returned) <= rl.rejected_qty


def _assert_shipments_consistent(world: World) -> None:
    session = world.session
    for order in world.sales:
        for line in order.lines:
            consumed = session.scalars(
                select(Reservation.quantity).where(
                    Reservation.sales_order_line_id == line.id, Reservation.status == ReservationStatus.CONSUMED
                )
            ).all()
            shipped = session.scalars(
                select(ShipmentLine.quantity)
                .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
                .where(ShipmentLine.sales_order_line_id == line.id, Shipment.sales_order_id == order.id)
            ).all()
            assert sum(shipped, ZERO) == sum(consumed, ZERO) == line.delivered_qty


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_random_purchasing_and_selling_keep_stock_consistent(session: Session, steps: list[tuple[Any, ...]]) -> None:
    savepoint = session.begin_nested()  # each example sees only its own data
    try:
        world = World(session)
        for step in [*OPENING, *steps]:
            world.apply(step)
            _assert_stock_consistent(world)
            _assert_purchases_consistent(world)
            _assert_shipments_consistent(world)
    finally:
        savepoint.rollback()
