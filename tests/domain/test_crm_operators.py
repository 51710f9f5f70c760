"""The crm.* operators as a process calls them: engine-style params in, JSON-able decisions out."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from domain.crm import service
from domain.errors import InvalidInput
from engine import services
from tests.conftest import MovableClock
from tests.factories import make_customer


def call(session: Session, name: str, **params: Any) -> dict[str, Any]:
    return services.call(session=session, name=name, params=params)


def test_lead_is_created_assigned_and_contacted(moving_clock: MovableClock, session: Session) -> None:
    lead = call(session, "crm.create_lead", source="web", company="Ningbo Valves", contact_name="Mr. Chen",
                region="east", industry="machinery")
    call(session, "crm.assign_lead", lead_id=lead["lead_id"], owner="sales")
    moving_clock.advance(minutes=75)

    contacted = call(session, "crm.record_first_contact", lead_id=lead["lead_id"], by="sales", note="called")

    assert (lead["status"], lead["region"], lead["industry"]) == ("new", "east", "machinery")
    assert (contacted["status"], contacted["owner"], contacted["first_contact_minutes"]) == ("contacted", "sales", 75)


def test_qualify_lead_returns_the_new_customer_and_opportunity(session: Session) -> None:
    lead = call(session, "crm.create_lead", source="fair", company="Operator Test Chemicals", owner="sales")

    result = call(session, "crm.qualify_lead", lead_id=lead["lead_id"], amount="80000.00",
                  expected_close="2026-12-31")

    customer = service.get_customer_by_code(session=session, code=str(result["customer_code"]))
    assert customer.name == "Operator Test Chemicals"
    assert (result["stage"], result["amount"], result["weighted_amount"]) == (
        "qualification", Decimal("80000.00"), Decimal("8000.00"))


def test_won_stage_through_the_operator(session: Session) -> None:
    lead = call(session, "crm.create_lead", source="web", company="Stage Test Co")
    opportunity = call(session, "crm.qualify_lead", lead_id=lead["lead_id"])

    won = call(session, "crm.move_opportunity_stage", opportunity_id=opportunity["opportunity_id"], stage="won")

    assert (won["stage"], won["probability"]) == ("won", 100)


def test_follow_up_operator_moves_the_customers_last_follow_up(moving_clock: MovableClock,
                                                               session: Session) -> None:
    customer = make_customer(session)

    call(session, "crm.record_follow_up", customer_code=customer.code, by="sales", channel="visit", note="ok")

    assert customer.last_follow_up_at == moving_clock.now


def test_inactive_rule_moves_customers_and_names_their_teams(moving_clock: MovableClock, session: Session) -> None:
    east = make_customer(session, owner="sales", sales_team="sales_east_x")
    west = make_customer(session, owner="sales2", sales_team="sales_west_x")
    moving_clock.advance(days=91)

    found = call(session, "crm.find_inactive_customers", days=90)
    moved = call(session, "crm.move_to_shared_pool", customer_codes=[east.code, west.code])

    assert {east.code, west.code} <= set(found["customer_codes"])
    assert moved["teams"] == ["sales_east_x", "sales_west_x"]
    assert [(c["code"], c["owner"]) for c in moved["customers"]] == [
        (east.code, "sales"), (west.code, "sales2")]


def test_follow_up_without_subject_is_invalid_input(session: Session) -> None:
    with pytest.raises(InvalidInput):
        call(session, "crm.record_follow_up", note="nobody")


def test_bad_stage_is_rejected_by_the_parameter_schema(session: Session) -> None:
    with pytest.raises(InvalidInput, match="bad parameters"):
        call(session, "crm.move_opportunity_stage", opportunity_id=1, stage="dreaming")
