"""Satisfaction surveys after a closed ticket, and the net promoter score over them. Services flush, never commit."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain import clock
from domain.errors import Conflict, InvalidInput, NotFound
from domain.service.models import Survey, TicketStatus
from domain.service.schemas import NpsResult
from domain.service.service import get_ticket

PROMOTER_MIN = 9  # 9-10 promote
DETRACTOR_MAX = 6  # 0-6 detract; 7-8 are passive
NPS_PLACES = Decimal("0.1")


def send_survey(*, session: Session, ticket_id: int) -> Survey:
    """The survey of a closed ticket, sent now; a ticket gets one survey, so sending again returns it."""
    ticket = get_ticket(session=session, ticket_id=ticket_id, for_update=True)
    if ticket.status is not TicketStatus.CLOSED:
        raise InvalidInput(f"ticket {ticket.number} is not closed; surveys follow closing")
    survey = session.scalar(select(Survey).where(Survey.ticket_id == ticket.id))
    if survey is None:
        survey = Survey(ticket_id=ticket.id, customer_id=ticket.customer_id, sent_at=clock.now())
        session.add(survey)
        session.flush()
    return survey


def get_survey(*, session: Session, survey_id: int, for_update: bool = False) -> Survey:
    """The survey with this id."""
    query = select(Survey).where(Survey.id == survey_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    survey = session.scalar(query)
    if survey is None:
        raise NotFound(f"survey {survey_id} not found")
    return survey


def record_answer(*, session: Session, survey_id: int, score: int, comment: str = "") -> Survey:
    """The customer's answer: a whole score 0-10 and a comment; a survey is answered once."""
    survey = get_survey(session=session, survey_id=survey_id, for_update=True)
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 10:
        raise InvalidInput(f"score must be a whole number from 0 to 10, got {score!r}")
    if survey.answered_at is not None:
        raise Conflict(f"survey {survey_id} is already answered")
    survey.score, survey.comment, survey.answered_at = score, comment, clock.now()
    session.flush()
    return survey


def list_surveys(
    *, session: Session, customer_id: int | None = None, answered: bool | None = None,
    sent_since: datetime | None = None, sent_until: datetime | None = None, limit: int = 100, offset: int = 0,
) -> list[Survey]:
    """Surveys, newest first, optionally one customer's, answered or not, sent in [sent_since, sent_until)."""
    query = select(Survey).order_by(Survey.id.desc()).limit(limit).offset(offset)
    if sent_since is not None:
        query = query.where(Survey.sent_at >= sent_since)
    if sent_until is not None:
        query = query.where(Survey.sent_at < sent_until)
    if customer_id is not None:
        query = query.where(Survey.customer_id == customer_id)
    if answered is not None:
        query = query.where(Survey.answered_at.is_not(None) if answered else Survey.answered_at.is_(None))
    return list(session.scalars(query))


def nps(
    *, session: Session, since: datetime | None = None, until: datetime | None = None, customer_id: int | None = None
) -> NpsResult:
    """NPS of the surveys answered in [since, until), optionally one customer's: exact, rounded half-up to 0.1."""
    query = select(Survey.score).where(Survey.answered_at.is_not(None), Survey.score.is_not(None))
    if since is not None:
        query = query.where(Survey.answered_at >= since)
    if until is not None:
        query = query.where(Survey.answered_at < until)
    if customer_id is not None:
        query = query.where(Survey.customer_id == customer_id)
    return nps_of([score for score in session.scalars(query) if score is not None])


def nps_of(scores: list[int]) -> NpsResult:
    """NPS of these scores: 100 * (promoters - detractors) / responses, computed exactly, then rounded once."""
    promoters = sum(1 for s in scores if s >= PROMOTER_MIN)
    detractors = sum(1 for s in scores if s <= DETRACTOR_MAX)
    score = None
    if scores:
        score = (Decimal(100 * (promoters - detractors)) / Decimal(len(scores))).quantize(
            NPS_PLACES, rounding=ROUND_HALF_UP)
    return NpsResult(responses=len(scores), promoters=promoters, passives=len(scores) - promoters - detractors,
                     detractors=detractors, score=score)
