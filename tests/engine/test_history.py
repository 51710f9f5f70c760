"""History events are hash-chained: an edit or a deletion in the database is detected."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from engine import history
from engine.audit import Break, BreakReason, verify_chain
from engine.history import EventType
from engine.models import Event


def _chain(session: Session, name: str, n: int = 4) -> None:
    for i in range(n):
        history.record(session=session, type_=EventType.TASK_CLAIMED, actor=f"user{i}", chain=name,
                       data={"i": i, "amount": "12.30"})
    history.anchor_chain_heads(session)  # what a commit does first: the rolled-back test session never commits


def test_an_untouched_chain_verifies(session: Session) -> None:
    _chain(session, "test:clean")
    assert verify_chain(session=session, chain="test:clean") is None


def test_editing_an_events_data_is_detected_at_that_event(session: Session) -> None:
    _chain(session, "test:edit")
    session.execute(update(Event).where(Event.chain == "test:edit", Event.seq == 3).values(data={"i": 99}))
    assert verify_chain(session=session, chain="test:edit") == Break("test:edit", 3, BreakReason.EDITED)


def test_deleting_an_event_is_detected(session: Session) -> None:
    _chain(session, "test:delete")
    session.execute(delete(Event).where(Event.chain == "test:delete", Event.seq == 2))
    assert verify_chain(session=session, chain="test:delete") == Break("test:delete", 2, BreakReason.DELETED)


def test_changing_the_actor_is_detected(session: Session) -> None:
    _chain(session, "test:actor")
    session.execute(update(Event).where(Event.chain == "test:actor", Event.seq == 1).values(actor="mallory"))
    assert verify_chain(session=session, chain="test:actor") == Break("test:actor", 1, BreakReason.EDITED)


def test_events_of_one_transaction_continue_the_stored_chain(session: Session) -> None:
    _chain(session, "test:continue", 2)
    session.info.pop("flowdesk_event_chain_heads", None)  # a new transaction starts without a cached head
    _chain(session, "test:continue", 2)
    seqs = session.scalars(select(Event.seq).where(Event.chain == "test:continue").order_by(Event.seq)).all()
    assert seqs == [1, 2, 3, 4]
    assert verify_chain(session=session, chain="test:continue") is None
