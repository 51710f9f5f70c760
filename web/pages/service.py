"""Service tickets, returns and surveys (#3): filterable lists, detail pages, and the customer page's service part."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain import clock
from domain.crm.models import Customer
from domain.errors import NotFound
from domain.service import returns as return_service
from domain.service import service as ticket_service
from domain.service import surveys as survey_service
from domain.service.models import (
    Disposition,
    InspectionResult,
    ReturnOrder,
    ReturnStatus,
    Survey,
    Ticket,
    TicketStatus,
    Visit,
)
from domain.service.sla import Priority, SlaState
from web.deps import SessionDep
from web.form_html import N_
from web.i18n import display_zone
from web.pages.common import UserDep, page

router = APIRouter()
PAGE_SIZE = 50
NPS_DAYS = 90  # the surveys page's default period

TICKET_STATUS_LABELS: dict[str, str] = {
    TicketStatus.NEW: N_("New"),
    TicketStatus.RESPONDED: N_("Responded"),
    TicketStatus.IN_PROGRESS: N_("In progress"),
    TicketStatus.RESOLVED: N_("Resolved"),
    TicketStatus.CLOSED: N_("Closed"),
}
TICKET_PILLS = {TicketStatus.NEW: "open", TicketStatus.RESPONDED: "open", TicketStatus.IN_PROGRESS: "running",
                TicketStatus.RESOLVED: "completed", TicketStatus.CLOSED: "completed"}
SLA_LABELS: dict[str, str] = {
    SlaState.ON_TRACK: N_("On track"),
    SlaState.AT_RISK: N_("At risk"),
    SlaState.BREACHED: N_("Breached"),
    SlaState.MET: N_("Met"),
}
SLA_PILLS = {SlaState.ON_TRACK: "open", SlaState.AT_RISK: "mine", SlaState.BREACHED: "error",
             SlaState.MET: "completed"}
RETURN_STATUS_LABELS: dict[str, str] = {
    ReturnStatus.AUTHORIZED: N_("Authorized"),
    ReturnStatus.PARTIALLY_RECEIVED: N_("Partially received"),
    ReturnStatus.RECEIVED: N_("Received"),
    ReturnStatus.INSPECTED: N_("Inspected"),
    ReturnStatus.RESOLVED: N_("Resolved"),
}
RETURN_PILLS = {ReturnStatus.AUTHORIZED: "open", ReturnStatus.PARTIALLY_RECEIVED: "running",
                ReturnStatus.RECEIVED: "running", ReturnStatus.INSPECTED: "mine", ReturnStatus.RESOLVED: "completed"}
DISPOSITION_LABELS: dict[str, str] = {
    Disposition.RESTOCK: N_("Restock"), Disposition.SCRAP: N_("Scrap"), Disposition.REPAIR: N_("Repair"),
}
INSPECTION_LABELS: dict[str, str] = {
    InspectionResult.OK: N_("OK"), InspectionResult.DAMAGED: N_("Damaged"), InspectionResult.DEFECTIVE: N_("Defective"),
}
RESOLUTION_LABELS: dict[str, str] = {"refund": N_("Refund"), "replacement": N_("Replacement")}
CHANNEL_LABELS: dict[str, str] = {"phone": N_("Phone"), "email": N_("Email"), "web": N_("Web"),
                                  "wechat": N_("WeChat"), "on_site": N_("On site")}


def _labels() -> dict[str, Any]:
    return {"ticket_labels": TICKET_STATUS_LABELS, "ticket_pills": TICKET_PILLS, "sla_labels": SLA_LABELS,
            "sla_pills": SLA_PILLS, "return_labels": RETURN_STATUS_LABELS, "return_pills": RETURN_PILLS,
            "disposition_labels": DISPOSITION_LABELS, "inspection_labels": INSPECTION_LABELS,
            "resolution_labels": RESOLUTION_LABELS, "channel_labels": CHANNEL_LABELS}


def _enum_or_none(cls: Any, value: str) -> Any:
    return cls(value) if value in {member.value for member in cls} else None


def _customer_id(session: Session, code: str) -> int | None:
    """The id of the customer with this code; 0 (matches nothing) for an unknown code; None without a code."""
    if not code.strip():
        return None
    return session.scalar(select(Customer.id).where(Customer.code == code.strip())) or 0


def _day_start(day: date) -> datetime:
    """Midnight of day in the display time zone (periods are picked as local days)."""
    return datetime.combine(day, time.min, tzinfo=display_zone())


def _offset(page_no: int) -> int:
    return (max(page_no, 1) - 1) * PAGE_SIZE


def ticket_rows(tickets: list[Ticket], now: datetime) -> list[tuple[Ticket, SlaState, SlaState]]:
    """Each ticket with its (response, resolution) SLA state now."""
    return [(t, *t.sla_status(now)) for t in tickets]


@router.get("/tickets", response_class=HTMLResponse)
def ticket_list(request: Request, session: SessionDep, user: UserDep, status: str = "", priority: str = "",
                sla: str = "", customer: str = "", technician: str = "", q: str = "", page_no: int = 1
                ) -> HTMLResponse:
    """Tickets, newest first, by status, priority, SLA breached or at risk, customer code, technician or text."""
    now = clock.now()
    wanted_sla = sla if sla in (SlaState.BREACHED, SlaState.AT_RISK) else ""
    found = ticket_service.list_tickets(
        session=session, status=_enum_or_none(TicketStatus, status), priority=_enum_or_none(Priority, priority),
        sla=SlaState(wanted_sla) if wanted_sla else None, customer_id=_customer_id(session, customer),
        technician=technician.strip() or None, q=q.strip() or None, as_of=now, limit=PAGE_SIZE + 1,
        offset=_offset(page_no))
    filters = {"status": status, "priority": priority, "sla": wanted_sla, "customer": customer.strip(),
               "technician": technician.strip(), "q": q.strip()}
    return page(request, "service_tickets.html", {
        "rows": ticket_rows(found[:PAGE_SIZE], now), "filters": filters, "page_no": max(page_no, 1),
        "has_next": len(found) > PAGE_SIZE, "statuses": list(TicketStatus), "priorities": list(Priority),
        **_labels()}, session=session, user=user)


@router.get("/tickets/{ticket_id}", response_class=HTMLResponse)
def ticket_page(request: Request, ticket_id: int, session: SessionDep, user: UserDep) -> HTMLResponse:
    """One ticket: facts, SLA, technician visits with parts used, returns and survey."""
    ticket = ticket_service.get_ticket(session=session, ticket_id=ticket_id)
    response, resolution = ticket.sla_status(clock.now())
    visits: list[Visit] = ticket.visits
    survey = session.scalar(select(Survey).where(Survey.ticket_id == ticket.id))
    return page(request, "service_ticket.html", {
        "ticket": ticket, "response_sla": response, "resolution_sla": resolution, "visits": visits,
        "returns": return_service.list_returns(session=session, ticket_id=ticket.id), "survey": survey,
        **_labels()}, session=session, user=user)


@router.get("/returns", response_class=HTMLResponse)
def return_list(request: Request, session: SessionDep, user: UserDep, status: str = "", customer: str = "",
                q: str = "", page_no: int = 1) -> HTMLResponse:
    """Returns (RMA), newest first, by status, customer code or number."""
    found = return_service.list_returns(
        session=session, status=_enum_or_none(ReturnStatus, status), customer_id=_customer_id(session, customer),
        q=q.strip() or None, limit=PAGE_SIZE + 1, offset=_offset(page_no))
    filters = {"status": status, "customer": customer.strip(), "q": q.strip()}
    return page(request, "service_returns.html", {
        "returns": found[:PAGE_SIZE], "filters": filters, "page_no": max(page_no, 1),
        "has_next": len(found) > PAGE_SIZE, "statuses": list(ReturnStatus), **_labels()},
        session=session, user=user)


@router.get("/returns/{return_id}", response_class=HTMLResponse)
def return_page(request: Request, return_id: int, session: SessionDep, user: UserDep) -> HTMLResponse:
    """One return with its lines: received, inspected, disposition, restocked."""
    rma: ReturnOrder = return_service.get_return(session=session, return_id=return_id)
    return page(request, "service_return.html", {"rma": rma, **_labels()}, session=session, user=user)


@router.get("/surveys", response_class=HTMLResponse)
def survey_list(request: Request, session: SessionDep, user: UserDep, since: date | None = None,
                until: date | None = None, customer: str = "", page_no: int = 1) -> HTMLResponse:
    """Surveys sent in the period (default: the last 90 days), newest first, and the NPS of those answered in it."""
    today = clock.now().astimezone(display_zone()).date()
    since = since or today - timedelta(days=NPS_DAYS)
    until = until or today
    customer_id = _customer_id(session, customer)
    start, end = _day_start(since), _day_start(until + timedelta(days=1))
    score = survey_service.nps(session=session, since=start, until=end, customer_id=customer_id)
    found = survey_service.list_surveys(session=session, customer_id=customer_id, sent_since=start, sent_until=end,
                                        limit=PAGE_SIZE + 1, offset=_offset(page_no))
    filters = {"since": since.isoformat(), "until": until.isoformat(), "customer": customer.strip()}
    return page(request, "service_surveys.html", {
        "surveys": found[:PAGE_SIZE], "nps": score, "filters": filters, "page_no": max(page_no, 1),
        "has_next": len(found) > PAGE_SIZE}, session=session, user=user)


def customer_service_context(session: Session, customer_id: int, limit: int = 20) -> dict[str, Any]:
    """What `service_customer.html` shows on the customer page: the customer's tickets and returns, newest first."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id} not found")
    tickets = ticket_service.list_tickets(session=session, customer_id=customer_id, limit=limit)
    return {"service_tickets": ticket_rows(tickets, clock.now()),
            "service_returns": return_service.list_returns(session=session, customer_id=customer_id, limit=limit),
            "service_customer_code": customer.code, **_labels()}

