"""The stock ledger's primitives: lock balance rows, post moves. Used by inventory.service only.

Rules (see DESIGN.md): stock changes only through an appended `StockMove` applied to its balance in the
same flush; balance rows are locked with SELECT ... FOR UPDATE in (item_id, warehouse_id) order before
any change, so two transactions touching the same balances queue instead of deadlocking.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from sqlalchemy import ColumnElement, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from domain.errors import InvalidInput
from domain.inventory.models import MoveKind, StockBalance, StockMove

ZERO = Decimal("0.000")
_STEP = Decimal("0.001")
_LIMIT = Decimal("1e15")  # Numeric(18, 3)

Key = tuple[int, int]  # (item_id, warehouse_id)


def check_quantity(value: Decimal, *, allow_negative: bool = False) -> Decimal:
    """value if it is an exact, non-zero quantity with at most three places; InvalidInput otherwise."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise InvalidInput(f"quantity must be a Decimal, not {type(value).__name__}")
    value = Decimal(value)
    try:
        exact = value.quantize(_STEP) == value and abs(value) < _LIMIT
    except InvalidOperation:
        exact = False
    if not exact:
        raise InvalidInput(f"quantity {value} needs at most 3 decimal places and 15 digits")
    if value == 0 or (value < 0 and not allow_negative):
        raise InvalidInput(f"quantity must be {'non-zero' if allow_negative else 'positive'}, got {value}")
    return value


def lock_balances(session: Session, keys: Iterable[Key], *, create_missing: bool = False) -> dict[Key, StockBalance]:
    """The balance rows for keys, locked; with create_missing, absent rows are first inserted at zero."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    if create_missing:
        _insert_missing(session, wanted)
    return _locked(session, tuple_(StockBalance.item_id, StockBalance.warehouse_id).in_(wanted))


def lock_item_balances(session: Session, item_ids: Iterable[int]) -> dict[Key, StockBalance]:
    """Every warehouse's balance row for these items, locked."""
    ids = sorted(set(item_ids))
    return _locked(session, StockBalance.item_id.in_(ids)) if ids else {}


def post_move(
    session: Session, *, balance: StockBalance, kind: MoveKind, quantity: Decimal, reference: str, actor: str
) -> StockMove:
    """Append a move and apply it to its locked balance: the only way on_hand changes."""
    new_on_hand = balance.on_hand + quantity
    if new_on_hand < balance.reserved:
        raise InvalidInput(
            f"moving {quantity} of item {balance.item_id} in warehouse {balance.warehouse_id} would leave "
            f"{new_on_hand} on hand for {balance.reserved} reserved"
        )
    balance.on_hand = new_on_hand
    move = StockMove(
        item_id=balance.item_id,
        warehouse_id=balance.warehouse_id,
        quantity=quantity,
        kind=kind,
        reference=reference,
        created_by=actor,
    )
    session.add(move)
    return move


def _locked(session: Session, condition: ColumnElement[bool]) -> dict[Key, StockBalance]:
    # ORDER BY before FOR UPDATE: PostgreSQL takes the row locks in the sorted order.
    # populate_existing: the values read under the lock replace whatever the session held before.
    query = (
        select(StockBalance)
        .where(condition)
        .order_by(StockBalance.item_id, StockBalance.warehouse_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {(b.item_id, b.warehouse_id): b for b in session.scalars(query)}


def _insert_missing(session: Session, keys: list[Key]) -> None:
    # INSERT ... ON CONFLICT DO NOTHING: two transactions creating the same balance must not fail.
    rows = [{"item_id": i, "warehouse_id": w, "on_hand": ZERO, "reserved": ZERO} for i, w in keys]
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(postgresql.insert(StockBalance).values(rows).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(sqlite.insert(StockBalance).values(rows).on_conflict_do_nothing())
    else:
        raise NotImplementedError(f"stock balances need PostgreSQL or SQLite, not {dialect}")
