"""Satisfaction surveys after closed tickets, and NPS computed exactly (checked against an independent Fraction)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from domain import clock
from domain.crm.models import Customer
from domain.errors import Conflict, InvalidInput
from domain.service import service, surveys
from domain.service.models import Survey
from domain.service.schemas import TicketCreate
from tests.conftest import MovableClock
from tests.factories import ACTOR, make_customer


@pytest.fixture
def moving_clock() -> Iterator[MovableClock]:
    """The shared clock fixture without its job clean-up (no jobs here; it would wait on the test's write lock)."""
    fake = MovableClock()
    clock.set_clock(lambda: fake.now)
    try:
        yield fake
    finally:
        clock.reset_clock()


def closed_ticket_id(session: Session, customer: Customer) -> int:
    ticket = service.create_ticket(session=session, actor=ACTOR,
                                   data=TicketCreate(customer_code=customer.code, subject="Noise"))
    service.resolve_ticket(session=session, ticket_id=ticket.id, resolution_code="fixed")
    return service.close_ticket(session=session, ticket_id=ticket.id).id


def answered(session: Session, customer: Customer, score: int) -> Survey:
    survey = surveys.send_survey(session=session, ticket_id=closed_ticket_id(session, customer))
    return surveys.record_answer(session=session, survey_id=survey.id, score=score)


def expected_nps(scores: list[int]) -> Decimal:
    """NPS the long way: exact fraction of percentages, then half-up to one place."""
    share = Fraction(100 * sum(s >= 9 for s in scores), len(scores)) - Fraction(100 * sum(s <= 6 for s in scores),
                                                                               len(scores))
    return (Decimal(share.numerator) / Decimal(share.denominator)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def test_a_survey_needs_a_closed_ticket(session: Session) -> None:
    ticket = service.create_ticket(session=session, actor=ACTOR,
                                   data=TicketCreate(customer_code=make_customer(session).code, subject="Noise"))

    with pytest.raises(InvalidInput, match="not closed"):
        surveys.send_survey(session=session, ticket_id=ticket.id)


def test_sending_a_survey_twice_returns_the_same_survey(session: Session) -> None:
    ticket_id = closed_ticket_id(session, make_customer(session))

    first = surveys.send_survey(session=session, ticket_id=ticket_id)

    assert surveys.send_survey(session=session, ticket_id=ticket_id).id == first.id


@pytest.mark.parametrize("score", [-1, 11, True])
def test_scores_outside_0_to_10_are_refused(session: Session, score: int) -> None:
    survey = surveys.send_survey(session=session, ticket_id=closed_ticket_id(session, make_customer(session)))

    with pytest.raises(InvalidInput, match="0 to 10"):
        surveys.record_answer(session=session, survey_id=survey.id, score=score)


def test_a_survey_is_answered_once(session: Session) -> None:
    survey = answered(session, make_customer(session), 9)

    with pytest.raises(Conflict, match="already answered"):
        surveys.record_answer(session=session, survey_id=survey.id, score=3)


def test_nps_is_promoters_minus_detractors_in_percent() -> None:
    result = surveys.nps_of([10, 9, 8, 7, 6, 0])

    assert (result.promoters, result.passives, result.detractors, result.score) == (2, 2, 2, Decimal("0.0"))


def test_nps_rounds_half_up_to_one_place() -> None:
    # 1 promoter, 7 others passive: 12.5 exactly -> 12.5; 1 of 3 promoters: 33.333... -> 33.3; 2 of 3: 66.666... -> 66.7
    assert surveys.nps_of([9] + [7] * 7).score == Decimal("12.5")
    assert surveys.nps_of([9, 7, 7]).score == Decimal("33.3")
    assert surveys.nps_of([9, 9, 7]).score == Decimal("66.7")
    assert surveys.nps_of([0, 7, 7]).score == Decimal("-33.3")


def test_nps_without_answers_has_no_score() -> None:
    assert surveys.nps_of([]).score is None


@given(st.lists(st.integers(0, 10), min_size=1, max_size=300))
def test_nps_matches_an_independent_exact_computation(scores: list[int]) -> None:
    result = surveys.nps_of(scores)

    assert result.score == expected_nps(scores)
    assert result.promoters + result.passives + result.detractors == result.responses == len(scores)


def test_nps_of_a_customer_counts_only_answers_in_the_period(session: Session, moving_clock: MovableClock) -> None:
    customer, other = make_customer(session), make_customer(session)
    answered(session, customer, 0)  # before the period
    moving_clock.advance(days=1)
    since = moving_clock.now
    scores = [10, 9, 9, 8, 5, 3, 10]
    for score in scores:
        answered(session, customer, score)
        moving_clock.advance(minutes=1)
    answered(session, other, 0)  # another customer's
    until = moving_clock.now
    moving_clock.advance(days=1)
    answered(session, customer, 0)  # after the period

    result = surveys.nps(session=session, since=since, until=until, customer_id=customer.id)

    assert (result.responses, result.score) == (len(scores), expected_nps(scores))
    assert result.score == Decimal("28.6")  # (4 - 2) / 7 = 28.571...%


def test_an_unanswered_survey_does_not_count(session: Session, moving_clock: MovableClock) -> None:
    customer = make_customer(session)
    surveys.send_survey(session=session, ticket_id=closed_ticket_id(session, customer))
    answered(session, customer, 10)

    result = surveys.nps(session=session, customer_id=customer.id, since=moving_clock.now - timedelta(hours=1))

    assert (result.responses, result.score) == (1, Decimal("100.0"))
