"""Ticket operations: open, triage, respond, dispatch a technician, resolve, close, reopen (flush, never commit).

Returns live in domain.service.returns, surveys and NPS in domain.service.surveys.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import Session

from domain import clock
from domain.crm.models import Customer
from domain.crm.service import get_customer_by_code, list_contacts
from domain.errors import Conflict, InvalidInput, NotFound
from domain.identity.service import get_by_username
from domain.inventory.service import adjust_stock, get_items_by_sku
from domain.sales.service import get_order
from domain.service.models import Ticket, TicketStatus, Visit, VisitPart
from domain.service.schemas import PartUsed, TicketCreate
from domain.service.sla import AT_RISK_SHARE, SLA_POLICIES, Priority, SlaState, due_times, parse_priority


def create_ticket(*, session: Session, data: TicketCreate, actor: str) -> Ticket:
    """Open a ticket numbered "TK000123"; its SLA due times follow from the priority and the creation time."""
    customer = get_customer_by_code(session=session, code=data.customer_code)
    priority = parse_priority(data.priority)
    if data.sales_order_id is not None:
        order = get_order(session=session, order_id=data.sales_order_id)
        if order.customer_id != customer.id:
            raise InvalidInput(f"sales order {order.number} belongs to another customer")
    item = get_items_by_sku(session=session, skus=[data.item_sku])[data.item_sku] if data.item_sku else None
    created_at = clock.now()
    response_due, resolution_due = due_times(priority, created_at)
    ticket = Ticket(
        # Placeholder until the id exists: the id is the one counter safe under concurrent inserts.
        number=f"pending-{uuid.uuid4().hex}",
        customer_id=customer.id,
        contact_id=data.contact_id,
        contact=_contact_name(session, customer, data),
        channel=data.channel,
        priority=priority,
        category=data.category,
        subject=data.subject,
        description=data.description,
        sales_order_id=data.sales_order_id,
        item_id=item.id if item else None,
        business_key=data.business_key,
        created_at=created_at,
        created_by=actor,
        response_due_at=response_due,
        resolution_due_at=resolution_due,
    )
    session.add(ticket)
    session.flush()
    ticket.number = f"TK{ticket.id:06d}"
    session.flush()
    return ticket


def get_ticket(*, session: Session, ticket_id: int, for_update: bool = False) -> Ticket:
    """The ticket with this id; for_update locks its row (and re-reads it) until the transaction ends."""
    query = select(Ticket).where(Ticket.id == ticket_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    ticket = session.scalar(query)
    if ticket is None:
        raise NotFound(f"ticket {ticket_id} not found")
    return ticket


def list_tickets(
    *,
    session: Session,
    status: TicketStatus | None = None,
    priority: Priority | None = None,
    sla: SlaState | None = None,
    customer_id: int | None = None,
    technician: str | None = None,
    q: str | None = None,
    as_of: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Ticket]:
    """Tickets, newest first, filtered; sla picks those breached or at risk (either target) at as_of (now)."""
    query = select(Ticket).order_by(Ticket.id.desc()).limit(limit).offset(offset)
    if status is not None:
        query = query.where(status_condition(status))
    if priority is not None:
        query = query.where(Ticket.priority == priority)
    if sla is not None:
        query = query.where(sla_condition(sla, as_of or clock.now()))
    if customer_id is not None:
        query = query.where(Ticket.customer_id == customer_id)
    if technician:
        query = query.where(Ticket.technician == technician)
    if q:
        pattern = f"%{q.strip()}%"
        query = query.where(or_(Ticket.number.ilike(pattern), Ticket.subject.ilike(pattern)))
    return list(session.scalars(query))


def status_condition(status: TicketStatus) -> ColumnElement[bool]:
    """SQL for the derived status (mirrors Ticket.status)."""
    closed, resolved = Ticket.closed_at.is_not(None), Ticket.resolved_at.is_not(None)
    started, responded = Ticket.started_at.is_not(None), Ticket.first_response_at.is_not(None)
    conditions = {
        TicketStatus.CLOSED: closed,
        TicketStatus.RESOLVED: and_(~closed, resolved),
        TicketStatus.IN_PROGRESS: and_(~closed, ~resolved, started),
        TicketStatus.RESPONDED: and_(~closed, ~resolved, ~started, responded),
        TicketStatus.NEW: and_(~closed, ~resolved, ~started, ~responded),
    }
    return conditions[status]


def sla_condition(state: SlaState, as_of: datetime) -> ColumnElement[bool]:
    """SQL for tickets with either target in state at as_of (breached or at risk; mirrors sla.target_state)."""
    targets = ((Ticket.first_response_at, Ticket.response_due_at, "response"),
               (Ticket.resolved_at, Ticket.resolution_due_at, "resolution"))
    if state is SlaState.BREACHED:
        return or_(*(or_(and_(done.is_(None), due < as_of), done > due) for done, due, _ in targets))
    if state is SlaState.AT_RISK:
        # The window depends on the priority, so each priority gets its own bounds.
        return or_(*(
            and_(Ticket.priority == priority, done.is_(None), due >= as_of,
                 due < as_of + getattr(policy, name) / AT_RISK_SHARE)
            for priority, policy in SLA_POLICIES.items() for done, due, name in targets
        ))
    return false()


def triage_ticket(*, session: Session, ticket_id: int, priority: str, category: str | None = None) -> Ticket:
    """Set the priority (and category); the due times are recomputed from the creation time."""
    ticket = get_ticket(session=session, ticket_id=ticket_id, for_update=True)
    _check_open(ticket)
    ticket.priority = parse_priority(priority)
    ticket.response_due_at, ticket.resolution_due_at = due_times(ticket.priority, ticket.created_at)
    if category:
        ticket.category = category[:64]
    session.flush()
    return ticket


def record_first_response(*, session: Session, ticket_id: int) -> Ticket:
    """Note that the customer got a first answer now; a second call keeps the first time."""
    ticket = get_ticket(session=session, ticket_id=ticket_id, for_update=True)
    if ticket.first_response_at is None:
        ticket.first_response_at = clock.now()
        session.flush()
    return ticket


def start_work(*, session: Session, ticket_id: int) -> Ticket:
    """Mark the ticket in progress (work has begun); a second call keeps the first time."""
    ticket = get_ticket(session=session, ticket_id=ticket_id, for_update=True)
    _check_open(ticket)
    if ticket.started_at is None:
        ticket.started_at = clock.now()
        session.flush()
    return ticket


def dispatch_technician(*, session: Session, ticket_id: int, technician: str, scheduled_at: datetime) -> Visit:
    """Send a technician (an active user) to the customer at scheduled_at; the ticket is then in progress."""
    ticket = get_ticket(session=session, ticket_id=ticket_id, for_update=True)
    _check_open(ticket)
    user = get_by_username(session=session, username=technician)
    if user is None or not user.active:
        raise InvalidInput(f"technician {technician!r} is not an active user")
    if scheduled_at.tzinfo is None:
        raise InvalidInput("the visit time needs a time zone")
    visit = Visit(ticket=ticket, technician=technician, scheduled_at=scheduled_at)
    session.add(visit)
    ticket.technician = technician
    ticket.started_at = ticket.started_at or clock.now()
    session.flush()
    return visit


def record_visit(
    *, session: Session, visit_id: int, report: str, parts: Sequence[PartUsed] = (), actor: str
) -> Visit:
    """Record the technician's report and the parts used; each part leaves stock through the inventory ledger."""
    visit = session.get(Visit, visit_id)
    if visit is None:
        raise NotFound(f"visit {visit_id} not found")
    ticket = get_ticket(session=session, ticket_id=visit.ticket_id, for_update=True)
    if visit.visited_at is not None:
        raise Conflict(f"visit {visit_id} of ticket {ticket.number} is already reported")
    items = get_items_by_sku(session=session, skus=[part.item_sku for part in parts])
    # Lock order of the ledger: sorted (item, warehouse), so concurrent visits cannot deadlock on balances.
    for part in sorted(parts, key=lambda p: (items[p.item_sku].id, p.warehouse_id)):
        item = items[part.item_sku]
        move = adjust_stock(session=session, item_id=item.id, warehouse_id=part.warehouse_id,
                            quantity=-part.quantity, reference=f"{ticket.number}/visit {visit.id}", actor=actor)
        visit.parts.append(VisitPart(item_id=item.id, warehouse_id=part.warehouse_id, quantity=part.quantity,
                                     stock_move_id=move.id))
    visit.report = report
    visit.visited_at = clock.now()
    session.flush()
    return visit


def resolve_ticket(*, session: Session, ticket_id: int, resolution_code: str, notes: str = "") -> Ticket:
    """Record the resolution; telling the customer it is solved also counts as the first response if none was."""
    ticket = get_ticket(session=session, ticket_id=ticket_id, for_update=True)
    _check_open(ticket)
    if not resolution_code.strip():
        raise InvalidInput("a resolution code is required")
    now = clock.now()
    ticket.resolution_code = resolution_code.strip()[:32]
    ticket.resolution_notes = notes
    ticket.resolved_at = now
    ticket.first_response_at = ticket.first_response_at or now
    session.flush()
    return ticket


def close_ticket(*, session: Session, ticket_id: int) -> Ticket:
    """Close a resolved ticket; closing twice keeps the first time."""
    ticket = get_ticket(session=session, ticket_id=ticket_id, for_update=True)
    if ticket.resolved_at is None:
        raise InvalidInput(f"ticket {ticket.number} is not resolved yet")
    if ticket.closed_at is None:
        ticket.closed_at = clock.now()
        session.flush()
    return ticket


def reopen_ticket(*, session: Session, ticket_id: int) -> Ticket:
    """Back to in progress after a resolution that did not hold; the original due times still apply."""
    ticket = get_ticket(session=session, ticket_id=ticket_id, for_update=True)
    if ticket.resolved_at is None:
        raise InvalidInput(f"ticket {ticket.number} is still open")
    ticket.resolved_at = ticket.closed_at = None
    ticket.resolution_code = None
    ticket.started_at = ticket.started_at or clock.now()
    ticket.reopen_count += 1
    session.flush()
    return ticket


def _contact_name(session: Session, customer: Customer, data: TicketCreate) -> str | None:
    """Who called: as given, else the name of the CRM contact (which must be one of the customer's)."""
    if data.contact_id is None:
        return data.contact
    known = {c.id: c.name for c in list_contacts(session=session, customer_id=customer.id)}
    if data.contact_id not in known:
        raise InvalidInput(f"contact {data.contact_id} is not a contact of customer {customer.code}")
    return data.contact or known[data.contact_id]


def _check_open(ticket: Ticket) -> None:
    if ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        raise InvalidInput(f"ticket {ticket.number} is {ticket.status.value}; reopen it first")
