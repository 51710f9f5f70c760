"""Goods receipts: inspection, accepted goods into stock through the ledger, rejected goods returned."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.errors import InvalidInput
from domain.inventory import service as inventory
from domain.inventory.models import MoveKind, StockBalance, StockMove
from domain.procurement import orders
from domain.procurement.schemas import ReceiptLineCreate
from tests.factories import ACTOR, make_customer, make_item, make_order, make_warehouse
from tests.procurement_factories import make_purchase_order, make_supplier, receive_goods


def _setup(session: Session, quantity: str = "10"):  # type: ignore[no-untyped-def]
    item, warehouse = make_item(session), make_warehouse(session)
    order = make_purchase_order(session, make_supplier(session, (item, "2.00")), warehouse, (item, quantity))
    return item, warehouse, order


def _on_hand(session: Session, item_id: int, warehouse_id: int) -> Decimal:
    session.expire_all()
    balance = session.get(StockBalance, (item_id, warehouse_id))
    return balance.on_hand if balance is not None else Decimal("0")


def test_accepted_quantity_is_booked_as_a_receipt_move(session: Session) -> None:
    item, warehouse, order = _setup(session)

    receipt = receive_goods(session, order, (0, "7", "2"))

    moves = inventory.list_moves(session=session, item_id=item.id)
    assert [(m.kind, m.quantity, m.reference) for m in moves] == [
        (MoveKind.RECEIPT, Decimal("5.000"), f"{order.number}/{receipt.number}")
    ]
    assert _on_hand(session, item.id, warehouse.id) == Decimal("5.000")


def test_partial_receipts_add_up_on_the_order_line(session: Session) -> None:
    item, warehouse, order = _setup(session)

    receive_goods(session, order, (0, "3", "0"))
    receive_goods(session, order, (0, "4", "1"))

    line = order.lines[0]
    assert (line.received_qty, line.accepted_qty, line.open_qty) == (
        Decimal("7.000"),
        Decimal("6.000"),
        Decimal("4.000"),
    )
    assert _on_hand(session, item.id, warehouse.id) == Decimal("6.000")


def test_accepting_more_than_is_open_is_refused(session: Session) -> None:
    _item, _warehouse, order = _setup(session, "5")

    with pytest.raises(InvalidInput):
        receive_goods(session, order, (0, "6", "0"))


def test_inspection_must_add_up_to_the_received_quantity() -> None:
    with pytest.raises(ValueError):
        ReceiptLineCreate(
            purchase_order_line_id=1, received_qty=Decimal("5"), accepted_qty=Decimal("4"), rejected_qty=Decimal("2")
        )


def test_a_line_of_another_order_is_refused(session: Session) -> None:
    _item, _warehouse, order = _setup(session)
    _other_item, _other_wh, other = _setup(session)
    lines = [ReceiptLineCreate(purchase_order_line_id=other.lines[0].id, received_qty=Decimal("1"))]

    with pytest.raises(InvalidInput):
        orders.record_goods_receipt(session=session, purchase_order_id=order.id, lines=lines, actor=ACTOR)


def test_rejected_quantity_is_returned_without_a_stock_move(session: Session) -> None:
    item, _warehouse, order = _setup(session)
    receipt = receive_goods(session, order, (0, "10", "3"))
    moves_before = len(inventory.list_moves(session=session, item_id=item.id))

    [supplier_return] = orders.return_rejected(session=session, receipt_id=receipt.id, reason="dented", actor=ACTOR)

    assert (supplier_return.number, supplier_return.quantity, supplier_return.reason) == (
        f"RT{supplier_return.id:06d}",
        Decimal("3.000"),
        "dented",
    )
    assert supplier_return.stock_move_id is None
    assert len(inventory.list_moves(session=session, item_id=item.id)) == moves_before


def test_returning_rejected_goods_again_returns_nothing_more(session: Session) -> None:
    _item, _warehouse, order = _setup(session)
    receipt = receive_goods(session, order, (0, "10", "3"))
    orders.return_rejected(session=session, receipt_id=receipt.id, actor=ACTOR)

    assert orders.return_rejected(session=session, receipt_id=receipt.id, actor=ACTOR) == []
    assert [r.quantity for r in orders.list_returns(session=session, receipt_id=receipt.id)] == [Decimal("3.000")]


def test_returning_booked_goods_posts_a_supplier_return_move(session: Session) -> None:
    item, warehouse, order = _setup(session)
    receipt = receive_goods(session, order, (0, "10", "0"))

    supplier_return = orders.return_from_stock(
        session=session, receipt_line_id=receipt.lines[0].id, quantity=Decimal("4"), reason="rust", actor=ACTOR
    )

    move = session.get(StockMove, supplier_return.stock_move_id)
    assert move is not None and (move.kind, move.quantity) == (MoveKind.SUPPLIER_RETURN, Decimal("-4.000"))
    assert _on_hand(session, item.id, warehouse.id) == Decimal("6.000")
    line = receipt.lines[0]
    assert (line.accepted_qty, line.rejected_qty, order.lines[0].open_qty) == (
        Decimal("6.000"),
        Decimal("4.000"),
        Decimal("4.000"),
    )


def test_booked_goods_that_are_reserved_cannot_be_returned(session: Session) -> None:
    item, _warehouse, order = _setup(session)
    receipt = receive_goods(session, order, (0, "5", "0"))
    inventory.reserve_for_order(session=session, order_id=make_order(session, make_customer(session), (item, "4")).id)

    with pytest.raises(InvalidInput):
        orders.return_from_stock(
            session=session, receipt_line_id=receipt.lines[0].id, quantity=Decimal("2"), reason="", actor=ACTOR
        )


def test_returning_more_than_was_accepted_is_refused(session: Session) -> None:
    _item, _warehouse, order = _setup(session)
    receipt = receive_goods(session, order, (0, "5", "2"))

    with pytest.raises(InvalidInput):
        orders.return_from_stock(
            session=session, receipt_line_id=receipt.lines[0].id, quantity=Decimal("4"), reason="", actor=ACTOR
        )


def test_receipts_filter_to_those_with_rejections(session: Session) -> None:
    _item, _warehouse, order = _setup(session)
    clean = receive_goods(session, order, (0, "2", "0"))
    rejected = receive_goods(session, order, (0, "2", "1"))

    listed = orders.list_goods_receipts(session=session, purchase_order_id=order.id, with_rejections=True)

    assert [r.id for r in listed] == [rejected.id] and clean.id not in {r.id for r in listed}
    assert session.scalar(select(StockMove.id).where(StockMove.item_id == order.lines[0].item_id)) is not None
