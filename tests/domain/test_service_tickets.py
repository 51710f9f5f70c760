"""Service tickets: numbering, SLA due times per priority, breach and risk at the exact edges, status, dispatch."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from domain import clock
from domain.crm.models import Customer
from domain.crm.schemas import ContactCreate
from domain.crm.service import add_contact
from domain.errors import InvalidInput
from domain.identity.service import create_user
from domain.inventory.models import MoveKind, StockBalance, StockMove
from domain.service import service
from domain.service.models import Ticket, TicketStatus
from domain.service.schemas import PartUsed, TicketCreate
from domain.service.sla import SlaState
from tests.conftest import MovableClock
from tests.factories import ACTOR, make_customer, make_item, make_order, make_warehouse, receive

US = timedelta(microseconds=1)


@pytest.fixture
def moving_clock() -> Iterator[MovableClock]:
    """The shared clock fixture without its job clean-up: these tests make no jobs, and the clean-up's own
    transaction would wait for the rolled-back test session's SQLite write lock."""
    fake = MovableClock()
    clock.set_clock(lambda: fake.now)
    try:
        yield fake
    finally:
        clock.reset_clock()


def open_ticket(session: Session, customer: Customer | None = None, **overrides: Any) -> Ticket:
    customer = customer or make_customer(session)
    fields: dict[str, Any] = {"customer_code": customer.code, "subject": "Pump leaks", "priority": "P3"} | overrides
    return service.create_ticket(session=session, data=TicketCreate(**fields), actor=ACTOR)


def technician(session: Session) -> str:
    name = f"tech_{uuid.uuid4().hex[:8]}"
    create_user(session=session, username=name, password="demo", groups=["service"])
    return name


def test_ticket_number_is_generated_from_the_id(session: Session) -> None:
    ticket = open_ticket(session)

    assert ticket.number == f"TK{ticket.id:06d}"


@pytest.mark.parametrize(("priority", "response_hours", "resolution_hours"), [
    ("P1", 1, 8), ("P2", 4, 24), ("P3", 8, 72), ("P4", 24, 168),
    ("urgent", 1, 8), ("high", 4, 24), ("normal", 8, 72), ("low", 24, 168),
])
def test_due_times_follow_the_sla_policy_of_the_priority(
    session: Session, moving_clock: MovableClock, priority: str, response_hours: int, resolution_hours: int
) -> None:
    ticket = open_ticket(session, priority=priority)

    assert ticket.response_due_at == moving_clock.now + timedelta(hours=response_hours)
    assert ticket.resolution_due_at == moving_clock.now + timedelta(hours=resolution_hours)


def test_unknown_priority_is_refused(session: Session) -> None:
    with pytest.raises(InvalidInput, match="priority"):
        open_ticket(session, priority="P9")


def test_triage_recomputes_due_times_from_creation_not_from_triage(
    session: Session, moving_clock: MovableClock
) -> None:
    created = moving_clock.now
    ticket = open_ticket(session, priority="low")
    moving_clock.advance(minutes=20)

    service.triage_ticket(session=session, ticket_id=ticket.id, priority="P1")

    assert (ticket.response_due_at, ticket.resolution_due_at) == (created + timedelta(hours=1),
                                                                   created + timedelta(hours=8))


def test_unanswered_response_is_breached_only_after_the_due_time(session: Session) -> None:
    ticket = open_ticket(session, priority="P1")
    due = ticket.response_due_at

    assert ticket.sla_status(due)[0] is SlaState.AT_RISK
    assert ticket.sla_status(due + US)[0] is SlaState.BREACHED


def test_response_is_at_risk_once_less_than_a_quarter_of_the_window_remains(session: Session) -> None:
    ticket = open_ticket(session, priority="P1")  # 60 minutes to respond
    quarter_left = ticket.response_due_at - timedelta(minutes=15)

    assert ticket.sla_status(quarter_left)[0] is SlaState.ON_TRACK
    assert ticket.sla_status(quarter_left + US)[0] is SlaState.AT_RISK


def test_response_exactly_at_the_due_time_meets_the_sla(session: Session, moving_clock: MovableClock) -> None:
    ticket = open_ticket(session, priority="P2")
    moving_clock.now = ticket.response_due_at

    service.record_first_response(session=session, ticket_id=ticket.id)

    assert ticket.sla_status(moving_clock.now + timedelta(days=30))[0] is SlaState.MET


def test_response_a_microsecond_late_breaches_the_sla(session: Session, moving_clock: MovableClock) -> None:
    ticket = open_ticket(session, priority="P2")
    moving_clock.now = ticket.response_due_at + US

    service.record_first_response(session=session, ticket_id=ticket.id)

    assert ticket.sla_status(moving_clock.now)[0] is SlaState.BREACHED


def test_resolution_after_its_due_time_is_breached_while_the_response_was_met(
    session: Session, moving_clock: MovableClock
) -> None:
    ticket = open_ticket(session, priority="P1")
    service.record_first_response(session=session, ticket_id=ticket.id)
    moving_clock.now = ticket.resolution_due_at + US

    service.resolve_ticket(session=session, ticket_id=ticket.id, resolution_code="fixed")

    assert ticket.sla_status(moving_clock.now) == (SlaState.MET, SlaState.BREACHED)


def test_status_follows_the_ticket_through_its_life(session: Session) -> None:
    ticket = open_ticket(session)
    seen = [ticket.status]
    service.record_first_response(session=session, ticket_id=ticket.id)
    seen.append(ticket.status)
    service.start_work(session=session, ticket_id=ticket.id)
    seen.append(ticket.status)
    service.resolve_ticket(session=session, ticket_id=ticket.id, resolution_code="fixed", notes="seal replaced")
    seen.append(ticket.status)
    service.close_ticket(session=session, ticket_id=ticket.id)
    seen.append(ticket.status)

    assert seen == [TicketStatus.NEW, TicketStatus.RESPONDED, TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED,
                    TicketStatus.CLOSED]


def test_reopening_a_closed_ticket_puts_it_back_in_progress(session: Session) -> None:
    ticket = open_ticket(session)
    service.resolve_ticket(session=session, ticket_id=ticket.id, resolution_code="fixed")
    service.close_ticket(session=session, ticket_id=ticket.id)

    service.reopen_ticket(session=session, ticket_id=ticket.id)

    assert (ticket.status, ticket.reopen_count, ticket.resolution_code) == (TicketStatus.IN_PROGRESS, 1, None)


def test_resolving_counts_as_the_first_response_when_none_was_recorded(
    session: Session, moving_clock: MovableClock
) -> None:
    ticket = open_ticket(session)
    moving_clock.advance(minutes=30)

    service.resolve_ticket(session=session, ticket_id=ticket.id, resolution_code="advice")

    assert ticket.first_response_at == moving_clock.now


def test_an_unresolved_ticket_cannot_be_closed(session: Session) -> None:
    ticket = open_ticket(session)

    with pytest.raises(InvalidInput, match="not resolved"):
        service.close_ticket(session=session, ticket_id=ticket.id)


def test_ticket_for_another_customers_order_is_refused(session: Session) -> None:
    order = make_order(session, make_customer(session), (make_item(session), "1"))

    with pytest.raises(InvalidInput, match="another customer"):
        open_ticket(session, sales_order_id=order.id)


def test_dispatching_puts_the_ticket_in_progress_with_its_technician(
    session: Session, moving_clock: MovableClock
) -> None:
    ticket, tech = open_ticket(session), technician(session)

    visit = service.dispatch_technician(session=session, ticket_id=ticket.id, technician=tech,
                                        scheduled_at=moving_clock.now + timedelta(days=1))

    assert (ticket.status, ticket.technician, visit.scheduled_at) == (
        TicketStatus.IN_PROGRESS, tech, moving_clock.now + timedelta(days=1))


def test_dispatching_an_unknown_technician_is_refused(session: Session, moving_clock: MovableClock) -> None:
    ticket = open_ticket(session)

    with pytest.raises(InvalidInput, match="not an active user"):
        service.dispatch_technician(session=session, ticket_id=ticket.id, technician="nobody_here",
                                    scheduled_at=moving_clock.now)


def test_parts_used_on_a_visit_leave_stock_through_the_ledger(session: Session, moving_clock: MovableClock) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    receive(session, item, warehouse, "10")
    ticket = open_ticket(session)
    visit = service.dispatch_technician(session=session, ticket_id=ticket.id, technician=technician(session),
                                        scheduled_at=moving_clock.now)

    service.record_visit(session=session, visit_id=visit.id, report="Seal replaced", actor=ACTOR,
                         parts=[PartUsed(item_sku=item.sku, warehouse_id=warehouse.id, quantity=Decimal("2.5"))])

    balance = session.get(StockBalance, (item.id, warehouse.id))
    move = session.get(StockMove, visit.parts[0].stock_move_id)
    assert balance is not None and balance.on_hand == Decimal("7.5")
    assert move is not None and (move.kind, move.quantity) == (MoveKind.ADJUSTMENT, Decimal("-2.5"))
    assert move.reference == f"{ticket.number}/visit {visit.id}"


def test_parts_beyond_stock_on_hand_are_refused(session: Session, moving_clock: MovableClock) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    receive(session, item, warehouse, "1")
    visit = service.dispatch_technician(session=session, ticket_id=open_ticket(session).id,
                                        technician=technician(session), scheduled_at=moving_clock.now)

    with pytest.raises(InvalidInput):
        service.record_visit(session=session, visit_id=visit.id, report="", actor=ACTOR,
                             parts=[PartUsed(item_sku=item.sku, warehouse_id=warehouse.id, quantity=Decimal("2"))])


def test_ticket_list_filters_breached_and_at_risk_at_a_given_time(session: Session) -> None:
    customer = make_customer(session)
    p1, p4 = open_ticket(session, customer, priority="P1"), open_ticket(session, customer, priority="P4")
    as_of = p1.response_due_at + US  # P1 response late; P4 has 23 hours left of 24

    breached = service.list_tickets(session=session, customer_id=customer.id, sla=SlaState.BREACHED, as_of=as_of)
    at_risk = service.list_tickets(session=session, customer_id=customer.id, sla=SlaState.AT_RISK, as_of=as_of)
    p4_at_risk = service.list_tickets(session=session, customer_id=customer.id, sla=SlaState.AT_RISK,
                                      as_of=p4.response_due_at - timedelta(hours=5))

    assert [t.id for t in breached] == [p1.id]
    assert at_risk == []  # P1 resolution has 7 h of 8 left, P4 response 23 h of 24: neither under a quarter
    assert [t.id for t in p4_at_risk] == [p4.id]


def test_ticket_list_status_filter_matches_the_derived_status(session: Session) -> None:
    customer = make_customer(session)
    tickets = [open_ticket(session, customer) for _ in range(3)]
    service.record_first_response(session=session, ticket_id=tickets[1].id)
    service.resolve_ticket(session=session, ticket_id=tickets[2].id, resolution_code="fixed")

    for status in TicketStatus:
        listed = service.list_tickets(session=session, customer_id=customer.id, status=status)
        assert {t.id for t in listed} == {t.id for t in tickets if t.status is status}, status



def test_a_crm_contact_is_linked_and_named_on_the_ticket(session: Session) -> None:
    customer = make_customer(session)
    contact = add_contact(session=session, customer_id=customer.id, data=ContactCreate(name="Li Wei"))

    ticket = open_ticket(session, customer, contact_id=contact.id)

    assert (ticket.contact_id, ticket.contact) == (contact.id, "Li Wei")


def test_a_contact_of_another_customer_is_refused(session: Session) -> None:
    stranger = add_contact(session=session, customer_id=make_customer(session).id, data=ContactCreate(name="Zhang"))

    with pytest.raises(InvalidInput, match="not a contact"):
        open_ticket(session, contact_id=stranger.id)
