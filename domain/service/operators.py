"""Service operations that service tasks may call (collected by the engine's registry).

Due times are returned as ISO 8601 strings so timer expressions can use them directly.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from domain import clock
from domain.operators import Operator
from domain.service import resolutions, returns, service, surveys
from domain.service.models import Disposition, ReturnOrder, Survey, Ticket
from domain.service.schemas import InspectedLine, PartUsed, ReceivedLine, ReturnLineCreate, TicketCreate
from domain.service.sla import SlaState

# Service tasks run on behalf of the process, not a person; the engine does not pass a user.
ACTOR = "system"
SURVEY_REMINDER = timedelta(days=3)


class TicketParams(BaseModel):
    ticket_id: int = Field(gt=0)


class TriageParams(TicketParams):
    priority: str = Field(min_length=1, description="P1-P4 or urgent/high/normal/low")
    category: str | None = Field(default=None, max_length=64)


class DispatchParams(TicketParams):
    technician: str = Field(min_length=1, max_length=64)
    scheduled_at: datetime


class RecordVisitParams(BaseModel):
    visit_id: int = Field(gt=0)
    report: str = ""
    parts: list[PartUsed] = Field(default_factory=list)


class ResolveParams(TicketParams):
    resolution_code: str = Field(min_length=1, max_length=32)
    notes: str = ""


class OpenReturnParams(TicketParams):
    shipment_id: int = Field(gt=0)
    lines: list[ReturnLineCreate] = Field(min_length=1)
    warehouse_id: int | None = Field(default=None, gt=0)


class ReturnParams(BaseModel):
    return_id: int = Field(gt=0)


class ReceiveReturnParams(ReturnParams):
    lines: list[ReceivedLine] | None = None  # None: everything still outstanding


class InspectReturnParams(ReturnParams):
    lines: list[InspectedLine] = Field(min_length=1)


class RefundParams(ReturnParams):
    amount: Decimal | None = Field(default=None, gt=0, max_digits=18, decimal_places=2)  # None: the goods' value


class RepairParams(ReturnParams):
    line_id: int = Field(gt=0)


class RecordSurveyParams(BaseModel):
    survey_id: int = Field(gt=0)
    score: int = Field(ge=0, le=10)
    comment: str = ""


def create_ticket(*, session: Session, **fields: Any) -> dict[str, Any]:
    """Open a ticket; its SLA due times follow from the priority."""
    return _ticket(service.create_ticket(session=session, data=TicketCreate(**fields), actor=ACTOR))


def triage_ticket(*, session: Session, ticket_id: int, priority: str, category: str | None = None) -> dict[str, Any]:
    """Set priority (and category); the result carries the due times for the SLA timers."""
    return _ticket(service.triage_ticket(session=session, ticket_id=ticket_id, priority=priority, category=category))


def record_first_response(*, session: Session, ticket_id: int) -> dict[str, Any]:
    """Note the first answer to the customer; response_sla says whether it was in time."""
    return _ticket(service.record_first_response(session=session, ticket_id=ticket_id))


def check_sla(*, session: Session, ticket_id: int) -> dict[str, Any]:
    """Where the ticket stands against its SLA now (for an escalation gateway)."""
    return _ticket(service.get_ticket(session=session, ticket_id=ticket_id))


def start_work(*, session: Session, ticket_id: int) -> dict[str, Any]:
    """Mark the ticket in progress."""
    return _ticket(service.start_work(session=session, ticket_id=ticket_id))


def dispatch_technician(*, session: Session, ticket_id: int, technician: str, scheduled_at: datetime
                        ) -> dict[str, Any]:
    """Send a technician at scheduled_at; returns the visit id for the visit report."""
    visit = service.dispatch_technician(session=session, ticket_id=ticket_id, technician=technician,
                                        scheduled_at=scheduled_at)
    return {**_ticket(visit.ticket), "visit_id": visit.id, "scheduled_at": visit.scheduled_at.isoformat()}


def record_visit(*, session: Session, visit_id: int, report: str, parts: list[Any]) -> dict[str, Any]:
    """Record the visit report; parts used leave stock through the inventory ledger."""
    visit = service.record_visit(session=session, visit_id=visit_id, report=report, actor=ACTOR,
                                 parts=[PartUsed.model_validate(part) for part in parts])
    return {"visit_id": visit.id, "ticket_id": visit.ticket_id,
            "parts": [{"item_sku": p.item.sku, "warehouse_id": p.warehouse_id, "quantity": p.quantity}
                      for p in visit.parts]}


def resolve_ticket(*, session: Session, ticket_id: int, resolution_code: str, notes: str = "") -> dict[str, Any]:
    """Record the resolution; resolution_sla says whether it was in time."""
    return _ticket(service.resolve_ticket(session=session, ticket_id=ticket_id, resolution_code=resolution_code,
                                          notes=notes))


def close_ticket(*, session: Session, ticket_id: int) -> dict[str, Any]:
    """Close a resolved ticket."""
    return _ticket(service.close_ticket(session=session, ticket_id=ticket_id))


def reopen_ticket(*, session: Session, ticket_id: int) -> dict[str, Any]:
    """Reopen a resolved or closed ticket."""
    return _ticket(service.reopen_ticket(session=session, ticket_id=ticket_id))


def open_return(*, session: Session, ticket_id: int, shipment_id: int, lines: list[Any],
                warehouse_id: int | None = None) -> dict[str, Any]:
    """Authorize a return of shipped goods (never more than shipped less already returned)."""
    return _return(returns.open_return(session=session, ticket_id=ticket_id, shipment_id=shipment_id,
                                       lines=[ReturnLineCreate.model_validate(line) for line in lines],
                                       warehouse_id=warehouse_id, actor=ACTOR))


def receive_return(*, session: Session, return_id: int, lines: list[Any] | None = None) -> dict[str, Any]:
    """Book returned goods arriving at the warehouse (all outstanding without lines)."""
    received = None if lines is None else [ReceivedLine.model_validate(line) for line in lines]
    return _return(returns.receive_return(session=session, return_id=return_id, lines=received))


def inspect_return(*, session: Session, return_id: int, lines: list[Any]) -> dict[str, Any]:
    """Record inspection results and dispositions (restock / scrap / repair)."""
    return _return(returns.inspect_return(session=session, return_id=return_id,
                                          lines=[InspectedLine.model_validate(line) for line in lines]))


def restock_return(*, session: Session, return_id: int) -> dict[str, Any]:
    """Put goods inspected for restocking back into stock."""
    moves = returns.restock_return(session=session, return_id=return_id, actor=ACTOR)
    rma = returns.get_return(session=session, return_id=return_id)
    return {**_return(rma), "restocked": [{"item_id": m.item_id, "quantity": m.quantity} for m in moves]}


def complete_repair(*, session: Session, return_id: int, line_id: int) -> dict[str, Any]:
    """Mark a line's goods repaired."""
    returns.complete_repair(session=session, return_id=return_id, line_id=line_id)
    return _return(returns.get_return(session=session, return_id=return_id))


def refund_return(*, session: Session, return_id: int, amount: Decimal | None = None) -> dict[str, Any]:
    """Refund by credit note (default: the returned goods' value)."""
    return _return(resolutions.refund_return(session=session, return_id=return_id, amount=amount, actor=ACTOR))


def replace_return(*, session: Session, return_id: int) -> dict[str, Any]:
    """Replace the goods: a confirmed zero-priced sales order (reserve and ship it with the inventory operators)."""
    return _return(resolutions.replace_return(session=session, return_id=return_id, actor=ACTOR))


def send_survey(*, session: Session, ticket_id: int) -> dict[str, Any]:
    """Send the satisfaction survey of a closed ticket; reminder_due_at is when to remind."""
    return _survey(surveys.send_survey(session=session, ticket_id=ticket_id))


def record_survey(*, session: Session, survey_id: int, score: int, comment: str = "") -> dict[str, Any]:
    """Record the customer's score (0-10) and comment."""
    return _survey(surveys.record_answer(session=session, survey_id=survey_id, score=score, comment=comment))


def _ticket(ticket: Ticket) -> dict[str, Any]:
    response, resolution = ticket.sla_status(clock.now())
    return {
        "ticket_id": ticket.id,
        "number": ticket.number,
        "status": ticket.status.value,
        "priority": ticket.priority.value,
        "customer_id": ticket.customer_id,
        "technician": ticket.technician,
        "response_due_at": ticket.response_due_at.isoformat(),
        "resolution_due_at": ticket.resolution_due_at.isoformat(),
        "response_sla": response.value,
        "resolution_sla": resolution.value,
        "sla_breached": SlaState.BREACHED in (response, resolution),
    }


def _return(rma: ReturnOrder) -> dict[str, Any]:
    dispositions = {line.disposition for line in rma.lines if line.disposition is not None}
    return {
        "return_id": rma.id,
        "number": rma.number,
        "status": rma.status.value,
        "ticket_id": rma.ticket_id,
        "sales_order_id": rma.sales_order_id,
        "shipment_id": rma.shipment_id,
        "has_restock": Disposition.RESTOCK in dispositions,
        "has_scrap": Disposition.SCRAP in dispositions,
        "has_repair": Disposition.REPAIR in dispositions,
        "pending_restock": rma.pending_restock,
        "resolution": rma.resolution.value if rma.resolution else None,
        "refund_amount": rma.refund_amount,
        "credit_note_number": rma.credit_note_number,
        "replacement_order_id": rma.replacement_order_id,
        "lines": [{"line_id": line.id, "item_sku": line.item.sku, "quantity": line.quantity,
                   "received_qty": line.received_qty, "inspected_qty": line.inspected_qty,
                   "disposition": line.disposition.value if line.disposition else None} for line in rma.lines],
    }


def _survey(survey: Survey) -> dict[str, Any]:
    return {
        "survey_id": survey.id,
        "ticket_id": survey.ticket_id,
        "sent_at": survey.sent_at.isoformat(),
        "reminder_due_at": (survey.sent_at + SURVEY_REMINDER).isoformat(),
        "answered": survey.answered_at is not None,
        "score": survey.score,
    }


def _op(name: str, func: Any, params: type[BaseModel], description: str) -> Operator:
    return Operator(name=f"service.{name}", func=func, params=params, description=description)


OPERATORS: list[Operator] = [
    _op("create_ticket", create_ticket, TicketCreate,
        "Open a service ticket for a customer (channel, priority P1-P4 or urgent/high/normal/low, category)."),
    _op("triage_ticket", triage_ticket, TriageParams,
        "Set a ticket's priority; returns response_due_at and resolution_due_at (ISO) for the SLA timers."),
    _op("record_first_response", record_first_response, TicketParams,
        "Record the first response to the customer; response_sla is met or breached."),
    _op("check_sla", check_sla, TicketParams,
        "A ticket's SLA state now: response_sla / resolution_sla (on_track, at_risk, breached, met)."),
    _op("start_work", start_work, TicketParams, "Mark a ticket in progress."),
    _op("dispatch_technician", dispatch_technician, DispatchParams,
        "Dispatch a technician (user name) for a visit at scheduled_at; returns visit_id."),
    _op("record_visit", record_visit, RecordVisitParams,
        "Record a technician visit's report and the parts used (taken out of stock)."),
    _op("resolve_ticket", resolve_ticket, ResolveParams, "Resolve a ticket with a resolution code and notes."),
    _op("close_ticket", close_ticket, TicketParams, "Close a resolved ticket."),
    _op("reopen_ticket", reopen_ticket, TicketParams, "Reopen a resolved or closed ticket."),
    _op("open_return", open_return, OpenReturnParams,
        "Authorize a return (RMA) of shipment lines for a ticket; over-returns are refused."),
    _op("receive_return", receive_return, ReceiveReturnParams,
        "Book returned goods received at the warehouse (all outstanding when no lines are given)."),
    _op("inspect_return", inspect_return, InspectReturnParams,
        "Record inspection results and dispositions (restock, scrap, repair) of received return lines."),
    _op("restock_return", restock_return, ReturnParams, "Move goods inspected for restocking back into stock."),
    _op("complete_repair", complete_repair, RepairParams, "Mark a return line's goods repaired."),
    _op("refund_return", refund_return, RefundParams,
        "Refund an inspected return by credit note (amount defaults to the returned goods' value)."),
    _op("replace_return", replace_return, ReturnParams,
        "Replace an inspected return's goods with a confirmed zero-priced sales order."),
    _op("send_survey", send_survey, TicketParams,
        "Send the satisfaction survey of a closed ticket; returns survey_id and reminder_due_at (ISO)."),
    _op("record_survey", record_survey, RecordSurveyParams, "Record a survey answer: score 0-10 and a comment."),
]
