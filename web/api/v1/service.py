"""Service tickets, returns, surveys (#3): read endpoints; processes write through the service.* operators."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter, Query

from domain import clock
from domain.service import returns, service, surveys
from domain.service.models import ReturnStatus, Ticket, TicketStatus
from domain.service.schemas import NpsResult, ReturnRead, SurveyRead, TicketRead
from domain.service.sla import Priority, SlaState
from web.deps import ApiUser, SessionDep

router = APIRouter(tags=["service"])
Limit = Query(100, ge=1, le=500)


class TicketOut(TicketRead):
    """A ticket with where it stands against its SLA now."""

    response_sla: SlaState
    resolution_sla: SlaState

    @classmethod
    def of(cls, ticket: Ticket, as_of: datetime) -> TicketOut:
        response, resolution = ticket.sla_status(as_of)
        return cls.model_validate({**TicketRead.model_validate(ticket).model_dump(), "response_sla": response,
                                   "resolution_sla": resolution})


@router.get("/tickets", response_model=list[TicketOut])
def list_tickets(session: SessionDep, user: ApiUser, status: TicketStatus | None = None,
                 priority: Priority | None = None, sla: Literal["breached", "at_risk"] | None = None,
                 customer_id: int | None = None, technician: str | None = None, q: str | None = None,
                 limit: int = Limit, offset: int = 0) -> list[TicketOut]:
    """Tickets, newest first; sla=breached or at_risk picks tickets with either target so now."""
    now = clock.now()
    found = service.list_tickets(session=session, status=status, priority=priority,
                                 sla=SlaState(sla) if sla else None, customer_id=customer_id,
                                 technician=technician, q=q, as_of=now, limit=limit, offset=max(offset, 0))
    return [TicketOut.of(ticket, now) for ticket in found]


@router.get("/tickets/{ticket_id}", response_model=TicketOut)
def get_ticket(ticket_id: int, session: SessionDep, user: ApiUser) -> TicketOut:
    """One ticket with its visits and SLA state."""
    return TicketOut.of(service.get_ticket(session=session, ticket_id=ticket_id), clock.now())


@router.get("/returns", response_model=list[ReturnRead])
def list_returns(session: SessionDep, user: ApiUser, status: ReturnStatus | None = None,
                 customer_id: int | None = None, ticket_id: int | None = None, q: str | None = None,
                 limit: int = Limit, offset: int = 0) -> list[ReturnRead]:
    """Returns (RMA), newest first."""
    found = returns.list_returns(session=session, status=status, customer_id=customer_id, ticket_id=ticket_id, q=q,
                                 limit=limit, offset=max(offset, 0))
    return [ReturnRead.model_validate(rma) for rma in found]


@router.get("/returns/{return_id}", response_model=ReturnRead)
def get_return(return_id: int, session: SessionDep, user: ApiUser) -> ReturnRead:
    """One return with its lines."""
    return ReturnRead.model_validate(returns.get_return(session=session, return_id=return_id))


@router.get("/surveys", response_model=list[SurveyRead])
def list_surveys(session: SessionDep, user: ApiUser, customer_id: int | None = None, answered: bool | None = None,
                 limit: int = Limit, offset: int = 0) -> list[SurveyRead]:
    """Satisfaction surveys, newest first."""
    found = surveys.list_surveys(session=session, customer_id=customer_id, answered=answered, limit=limit,
                                 offset=max(offset, 0))
    return [SurveyRead.model_validate(survey) for survey in found]


@router.get("/surveys/nps", response_model=NpsResult)
def net_promoter_score(session: SessionDep, user: ApiUser, since: datetime | None = None,
                       until: datetime | None = None, customer_id: int | None = None) -> NpsResult:
    """NPS of the surveys answered in [since, until): % promoters (9-10) - % detractors (0-6), half-up to 0.1."""
    return surveys.nps(session=session, since=_utc(since), until=_utc(until), customer_id=customer_id)


def _utc(moment: datetime | None) -> datetime | None:
    """A time without an offset is read as UTC (stored times are UTC)."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment
