"""The service.* operators as the engine calls them: validated params in, JSON-able results a gateway can decide on."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from domain.errors import InvalidInput
from domain.inventory.service import get_shipment, reserve_for_order, ship_order
from engine import services
from tests.factories import ACTOR, make_customer, make_item, make_order, make_warehouse, receive

EXPECTED = {
    "service.create_ticket", "service.triage_ticket", "service.record_first_response", "service.check_sla",
    "service.start_work", "service.dispatch_technician", "service.record_visit", "service.resolve_ticket",
    "service.close_ticket", "service.reopen_ticket", "service.open_return", "service.receive_return",
    "service.inspect_return", "service.restock_return", "service.complete_repair", "service.refund_return",
    "service.replace_return", "service.send_survey", "service.record_survey",
}


def call(session: Session, name: str, **params: object) -> dict[str, object]:
    result = services.call(session=session, name=f"service.{name}", params=params)
    json.dumps(result, default=str)  # the engine serializes results: they must be JSON-able
    return result


def test_every_after_sales_step_has_an_operator() -> None:
    assert set(services.registry()) >= EXPECTED


def test_triage_returns_iso_due_times_for_the_timers(session: Session) -> None:
    ticket = call(session, "create_ticket", customer_code=make_customer(session).code, subject="No power",
                  channel="wechat", priority="low")

    triaged = call(session, "triage_ticket", ticket_id=ticket["ticket_id"], priority="urgent")

    created = datetime.fromisoformat(str(ticket["response_due_at"])) - timedelta(hours=24)
    assert triaged["priority"] == "P1"
    assert datetime.fromisoformat(str(triaged["response_due_at"])) == created + timedelta(hours=1)
    assert datetime.fromisoformat(str(triaged["resolution_due_at"])) == created + timedelta(hours=8)
    assert (triaged["response_sla"], triaged["sla_breached"]) == ("on_track", False)


def test_a_bad_channel_is_rejected_by_the_parameter_schema(session: Session) -> None:
    with pytest.raises(InvalidInput) as raised:
        call(session, "create_ticket", customer_code=make_customer(session).code, subject="x", channel="fax")

    assert raised.value.code == "bad_operator_params"


def test_return_through_operators_reports_dispositions_and_refund(session: Session) -> None:
    customer, item, warehouse = make_customer(session), make_item(session), make_warehouse(session)
    receive(session, item, warehouse, "10")
    order = make_order(session, customer, (item, "4", "25.00"))
    reserve_for_order(session=session, order_id=order.id)
    shipment = get_shipment(session=session,
                            shipment_id=ship_order(session=session, order_id=order.id, actor=ACTOR).shipment_id)
    ticket = call(session, "create_ticket", customer_code=customer.code, subject="Broken", sales_order_id=order.id)

    rma = call(session, "open_return", ticket_id=ticket["ticket_id"], shipment_id=shipment.id,
               lines=[{"shipment_line_id": shipment.lines[0].id, "quantity": "2", "reason": "broken"}])
    call(session, "receive_return", return_id=rma["return_id"])
    line_id = rma["lines"][0]["line_id"]  # type: ignore[index]
    inspected = call(session, "inspect_return", return_id=rma["return_id"],
                     lines=[{"line_id": line_id, "result": "defective", "disposition": "scrap"}])
    refunded = call(session, "refund_return", return_id=rma["return_id"])

    assert (inspected["status"], inspected["has_scrap"], inspected["has_restock"]) == ("inspected", True, False)
    assert (refunded["status"], refunded["resolution"], refunded["refund_amount"]) == (
        "resolved", "refund", Decimal("50.00"))


def test_over_return_through_the_operator_is_refused(session: Session) -> None:
    customer, item, warehouse = make_customer(session), make_item(session), make_warehouse(session)
    receive(session, item, warehouse, "10")
    order = make_order(session, customer, (item, "1"))
    reserve_for_order(session=session, order_id=order.id)
    shipment = get_shipment(session=session,
                            shipment_id=ship_order(session=session, order_id=order.id, actor=ACTOR).shipment_id)
    ticket = call(session, "create_ticket", customer_code=customer.code, subject="Broken")

    with pytest.raises(InvalidInput) as raised:
        call(session, "open_return", ticket_id=ticket["ticket_id"], shipment_id=shipment.id,
             lines=[{"shipment_line_id": shipment.lines[0].id, "quantity": "2"}])

    assert raised.value.code == "over_return"


def test_survey_result_carries_the_reminder_time(session: Session) -> None:
    ticket = call(session, "create_ticket", customer_code=make_customer(session).code, subject="Slow")
    call(session, "resolve_ticket", ticket_id=ticket["ticket_id"], resolution_code="advice")
    call(session, "close_ticket", ticket_id=ticket["ticket_id"])

    survey = call(session, "send_survey", ticket_id=ticket["ticket_id"])
    answer = call(session, "record_survey", survey_id=survey["survey_id"], score=9, comment="quick")

    sent = datetime.fromisoformat(str(survey["sent_at"]))
    assert datetime.fromisoformat(str(survey["reminder_due_at"])) == sent + timedelta(days=3)
    assert (answer["answered"], answer["score"]) == (True, 9)
