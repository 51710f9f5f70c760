"""After sales (processes/after_sales.bpmn) driven through /api/v1 with the demo users, time moved by the clock.

Walkthrough:
- `service` opens a ticket by hand (or an e-mail/web channel posts the message `ticket_received`), then triages it:
  priority P1-P4 sets the SLA due times for the first response and the resolution, and the route is chosen.
- `service` answers the customer (mailed to the contact). If nobody answered by the response due time, or the
  ticket is not resolved by the resolution due time, `service_manager` (group service_management) gets a
  "Handle ... SLA breach" task; the ticket's work goes on meanwhile.
- Route remote: `service` resolves it. Route technician: `service` schedules a visit, `technician` (field_service)
  reports it; parts used leave stock. Route return: `service` authorizes the return (refund or replacement),
  `warehouse` receives the goods, `quality` inspects them (restock or scrap); then in parallel the
  restock and the refund (a credit note) or the replacement (a free order that `warehouse` ships).
- The ticket is closed and the survey mailed; the answer arrives as the message `survey_answered` (correlated by
  ticket number). After 3 days without one a reminder is mailed; after 7 days the survey lapses.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from sqlalchemy import select

from domain.db import transaction
from domain.finance.models import CreditNote
from domain.inventory.models import Item, StockBalance
from domain.inventory.service import get_shipment, reserve_for_order, ship_order
from domain.notifications.models import OutboxMail
from domain.sales.service import get_order
from domain.service.models import ReturnOrder, Survey, Ticket
from engine import store
from engine.models import ProcessInstance
from tests.conftest import MovableClock
from tests.factories import ACTOR, make_customer, make_item, make_order, make_warehouse, receive
from tests.processes.desk import Desk as BaseDesk
from tests.web.conftest import Browser
from web.app import create_app

KEY = "after_sales"


@dataclass
class Shipped:
    """A customer with one shipped order line, ready to be returned."""

    customer_code: str
    sku: str
    warehouse_id: int
    shipment_id: int
    shipment_line_id: int


class Desk(BaseDesk):
    """After-sales steps as the people do them."""

    def open_ticket(self, customer_code: str, **overrides: Any) -> int:
        variables = {"customer_code": customer_code, "subject": "Pump makes noise", "channel": "phone",
                     "description": "Loud rattle since Monday", "priority": "P3",
                     "contact_email": "buyer@example.com"} | overrides
        return self.start_process(KEY, "service", variables)

    def triage(self, iid: int, route: str, priority: str = "P3") -> None:
        self.complete(iid, "Activity_TriageTicket", "service",
                      {"priority": priority, "category": "malfunction", "route": route})

    def answer(self, iid: int) -> None:
        self.complete(iid, "Activity_FirstResponse", "service",
                      {"response_message": "We are on it and will call you today."})

    def sla_checks(self, iid: int) -> list[tuple[str, str]]:
        """(response_sla, resolution_sla) of each SLA check the SLA watch made, oldest first."""
        resp = self.client.get(f"/api/v1/process-instances/{iid}/history", headers=self.headers("admin"))
        return [(e["data"]["result"]["response_sla"], e["data"]["result"]["resolution_sla"])
                for e in resp.json()["events"]
                if e["type"] == "service_called" and e["data"]["operator"] == "service.check_sla"]


@pytest.fixture(scope="module")
def api(world: None) -> FastAPI:
    return create_app()


@pytest.fixture
def desk(api: FastAPI, moving_clock: MovableClock) -> Iterator[Desk]:
    with TestClient(api) as client:
        yield Desk(client, moving_clock)


def new_customer() -> str:
    with transaction() as session:
        return make_customer(session, name="After Sales Test").code


def shipped_goods(quantity: str = "4", unit_price: str = "250.00") -> Shipped:
    """A fresh customer, item and warehouse (100 in stock) and an order of the item, shipped in full."""
    with transaction() as session:
        customer, item, warehouse = make_customer(session), make_item(session), make_warehouse(session)
        receive(session, item, warehouse, "100")
        order = make_order(session, customer, (item, quantity, unit_price))
        reserve_for_order(session=session, order_id=order.id)
        outcome = ship_order(session=session, order_id=order.id, actor=ACTOR)
        shipment = get_shipment(session=session, shipment_id=outcome.shipment_id)
        return Shipped(customer.code, item.sku, warehouse.id, shipment.id, shipment.lines[0].id)


def on_hand(sku: str, warehouse_id: int) -> Decimal:
    with transaction() as session:
        balance = session.scalar(select(StockBalance).join(Item, Item.id == StockBalance.item_id)
                                 .where(StockBalance.warehouse_id == warehouse_id, Item.sku == sku))
        assert balance is not None
        return balance.on_hand


def ticket_of(desk: Desk, iid: int) -> Ticket:
    with transaction() as session:
        ticket = session.get(Ticket, desk.variables(iid)["ticket"]["ticket_id"])
        assert ticket is not None
        session.expunge(ticket)
        return ticket


def mails_about(number: str) -> list[str]:
    """Subjects of the mails queued for a ticket, oldest first."""
    with transaction() as session:
        return list(session.scalars(select(OutboxMail.subject).where(OutboxMail.reference == number)
                                    .order_by(OutboxMail.id)))


def assert_state_round_trips(iid: int) -> None:
    """The stored workflow loads and dumps to the same JSON: nothing in the task data the serializer loses."""
    with transaction() as session:
        instance = session.get(ProcessInstance, iid)
        assert instance is not None
        assert json.loads(store.dump(store.load(session, instance, None))) == json.loads(instance.state)


def resolve_remotely(desk: Desk, iid: int) -> None:
    desk.complete(iid, "Activity_ResolveRemotely", "service",
                  {"resolution_code": "configuration", "resolution_notes": "Reset the controller."})


def answer_survey(desk: Desk, iid: int, score: int) -> dict[str, Any]:
    number = desk.variables(iid)["ticket"]["number"]
    return desk.send("survey_answered", {"correlation": {"ticket_number": number},
                                         "payload": {"score": score, "comment": "Quick help"}})


# ---------------------------------------------------------------- remote resolution and survey


def test_remote_resolution_closes_the_ticket_and_records_the_survey(desk: Desk) -> None:
    iid = desk.open_ticket(new_customer())
    assert desk.tasks(iid) == ["Activity_TriageTicket"]
    assert desk.task(iid, "Activity_TriageTicket")["candidate_group"] == "service"

    desk.triage(iid, "remote", priority="P2")
    ticket = desk.variables(iid)["ticket"]
    assert ticket["priority"] == "P2"
    created = datetime.fromisoformat(ticket["response_due_at"]) - timedelta(hours=4)  # P2: answer within 4 hours
    assert datetime.fromisoformat(ticket["resolution_due_at"]) == created + timedelta(hours=24)
    desk.answer(iid)
    resolve_remotely(desk, iid)
    assert_state_round_trips(iid)

    closed = ticket_of(desk, iid)
    assert (closed.status.value, closed.resolution_code) == ("closed", "configuration")
    assert closed.first_response_at is not None
    assert mails_about(closed.number) == [f"Re: Pump makes noise [{closed.number}]",
                                          f"How did we do? [{closed.number}]"]
    assert answer_survey(desk, iid, 9)["element_id"] == "Event_SurveyAnswered"
    assert desk.instance(iid)["status"] == "completed"
    with transaction() as session:
        survey = session.scalar(select(Survey).where(Survey.ticket_id == closed.id))
        assert survey is not None and (survey.score, survey.comment) == (9, "Quick help")


def test_a_ticket_received_by_message_starts_at_triage(desk: Desk) -> None:
    result = desk.send("ticket_received", {"payload": {
        "customer_code": new_customer(), "subject": "Portal: sensor reads zero", "description": "Since the update",
        "channel": "web", "priority": "P2", "contact_email": "ops@example.com"}})
    assert result["started"] and result["element_id"] == "StartEvent_TicketReceived"
    iid = result["instance_id"]
    assert desk.tasks(iid) == ["Activity_TriageTicket"]
    ticket = ticket_of(desk, iid)
    assert (ticket.channel.value, ticket.subject, ticket.business_key) == (
        "web", "Portal: sensor reads zero", desk.instance(iid)["business_key"])


# ---------------------------------------------------------------- technician


def test_technician_visit_uses_parts_from_stock_and_resolves_on_site(desk: Desk) -> None:
    goods = shipped_goods()
    stock_before = on_hand(goods.sku, goods.warehouse_id)
    iid = desk.open_ticket(goods.customer_code)
    desk.triage(iid, "technician")
    desk.answer(iid)
    visit_at = (desk.clock.now + timedelta(days=1)).isoformat()
    desk.complete(iid, "Activity_ScheduleVisit", "service", {"technician": "technician", "scheduled_at": visit_at})

    visit = desk.task(iid, "Activity_RecordVisit")
    assert (visit["assignee"], visit["candidate_group"]) == ("technician", "field_service")
    desk.complete(iid, "Activity_RecordVisit", "technician", {
        "visit_report": "Bearing worn, replaced.", "resolution_code": "part_replaced",
        "parts": [{"item_sku": goods.sku, "warehouse_id": goods.warehouse_id, "quantity": 1}]})

    assert on_hand(goods.sku, goods.warehouse_id) == stock_before - 1
    ticket = ticket_of(desk, iid)
    assert (ticket.technician, ticket.resolution_code, ticket.status.value) == ("technician", "part_replaced",
                                                                                "closed")
    assert desk.variables(iid)["visit_record"]["parts"][0]["item_sku"] == goods.sku
    assert desk.tasks(iid) == [], "waiting for the survey"


# ---------------------------------------------------------------- SLA breach and escalation


def test_missed_first_response_escalates_to_service_management(desk: Desk) -> None:
    iid = desk.open_ticket(new_customer())
    desk.triage(iid, "remote", priority="P1")  # answer within 1 hour
    desk.advance(minutes=59)
    assert desk.tasks(iid) == ["Activity_FirstResponse"]

    desk.advance(minutes=2)
    assert desk.tasks(iid) == ["Activity_FirstResponse", "Activity_HandleResponseBreach"]
    escalation = desk.task(iid, "Activity_HandleResponseBreach")
    assert escalation["candidate_group"] == "service_management"
    assert desk.sla_checks(iid) == [("breached", "on_track")]
    desk.complete(iid, "Activity_HandleResponseBreach", "service_manager",
                  {"escalation_action": "call_customer", "escalation_note": "Called, apologised."})
    desk.answer(iid)  # the work goes on
    assert desk.tasks(iid) == ["Activity_ResolveRemotely"]


def test_unresolved_ticket_escalates_at_the_resolution_due_time(desk: Desk) -> None:
    iid = desk.open_ticket(new_customer())
    desk.triage(iid, "remote", priority="P1")  # resolve within 8 hours
    desk.answer(iid)
    desk.advance(hours=1, minutes=1)
    assert desk.sla_checks(iid) == [("met", "on_track")], "the first response was in time"
    desk.advance(hours=6, minutes=58)
    assert desk.tasks(iid) == ["Activity_ResolveRemotely"]

    desk.advance(minutes=2)
    assert desk.tasks(iid) == ["Activity_HandleResolutionBreach", "Activity_ResolveRemotely"]
    assert desk.task(iid, "Activity_HandleResolutionBreach")["candidate_group"] == "service_management"
    assert desk.sla_checks(iid) == [("met", "on_track"), ("met", "breached")]
    resolve_remotely(desk, iid)
    ticket = ticket_of(desk, iid)
    assert ticket.status.value == "closed" and ticket.resolved_at is not None
    assert ticket.sla_status(desk.clock.now)[1].value == "breached"


def test_ticket_handled_in_time_raises_no_escalation(desk: Desk) -> None:
    iid = desk.open_ticket(new_customer())
    desk.triage(iid, "remote", priority="P1")
    desk.answer(iid)
    resolve_remotely(desk, iid)
    desk.advance(hours=9)  # past both due times, the survey still open

    assert desk.tasks(iid) == []
    assert desk.sla_checks(iid) == [("met", "met"), ("met", "met")]


# ---------------------------------------------------------------- returns


def authorize_return(desk: Desk, iid: int, goods: Shipped, quantity: int, remedy: str) -> dict[str, Any]:
    desk.triage(iid, "return")
    desk.answer(iid)
    desk.complete(iid, "Activity_AuthorizeReturn", "service", {
        "shipment_id": goods.shipment_id, "remedy": remedy,
        "return_lines": [{"shipment_line_id": goods.shipment_line_id, "quantity": quantity, "reason": "broken"}]})
    assert desk.task(iid, "Activity_ReceiveReturn")["candidate_group"] == "warehouse"
    desk.complete(iid, "Activity_ReceiveReturn", "warehouse", {"receipt_note": "One carton"})
    assert desk.task(iid, "Activity_InspectReturn")["candidate_group"] == "quality"
    return dict(desk.variables(iid)["rma"])


def test_returning_more_than_shipped_is_refused_and_the_authorization_stays_open(desk: Desk) -> None:
    goods = shipped_goods(quantity="4")
    iid = desk.open_ticket(goods.customer_code)
    desk.triage(iid, "return")
    desk.answer(iid)
    task = desk.task(iid, "Activity_AuthorizeReturn")
    resp = desk.client.post(f"/api/v1/tasks/{task['id']}/complete", headers=desk.headers("service"), json={"data": {
        "shipment_id": goods.shipment_id, "remedy": "refund",
        "return_lines": [{"shipment_line_id": goods.shipment_line_id, "quantity": 5}]}})

    assert (resp.status_code, resp.json()["code"]) == (422, "over_return")
    assert desk.tasks(iid) == ["Activity_AuthorizeReturn"]
    assert desk.instance(iid)["status"] == "running"


def test_inspection_task_page_shows_the_return_lines_to_inspect(desk: Desk, api: FastAPI) -> None:
    goods = shipped_goods()
    iid = desk.open_ticket(goods.customer_code)
    rma = authorize_return(desk, iid, goods, 2, "refund")
    quality = Browser(api)
    assert quality.login("quality").status_code == 200

    page = quality.get(f"/tasks/{desk.task(iid, 'Activity_InspectReturn')['id']}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert f"Return line {rma['lines'][0]['line_id']}" in text and f"{goods.sku} × 2" in text
    assert f"{rma['number']} · received · refund" in text
    assert desk.variables(iid)["ticket"]["number"] in text


def test_return_with_refund_restocks_the_goods_and_issues_a_credit_note(desk: Desk) -> None:
    goods = shipped_goods(quantity="4", unit_price="250.00")
    stock_before = on_hand(goods.sku, goods.warehouse_id)
    iid = desk.open_ticket(goods.customer_code)
    rma = authorize_return(desk, iid, goods, 3, "refund")
    assert rma["status"] == "received"
    assert on_hand(goods.sku, goods.warehouse_id) == stock_before, "received goods wait for inspection"

    desk.complete(iid, "Activity_InspectReturn", "quality", {"inspection": [
        {"line_id": rma["lines"][0]["line_id"], "result": "ok", "disposition": "restock"}]})

    assert on_hand(goods.sku, goods.warehouse_id) == stock_before + 3
    with transaction() as session:
        returned = session.get(ReturnOrder, rma["return_id"])
        assert returned is not None
        assert (returned.status.value, returned.resolution.value if returned.resolution else None) == (
            "resolved", "refund")
        note = session.scalar(select(CreditNote).where(CreditNote.id == returned.credit_note_id))
        assert note is not None and note.amount == Decimal("750.00")  # 3 x 250.00
    ticket = ticket_of(desk, iid)
    assert (ticket.status.value, ticket.resolution_code) == ("closed", "return_refund")


def test_return_with_replacement_scraps_the_goods_and_ships_new_ones(desk: Desk) -> None:
    goods = shipped_goods(quantity="4")
    stock_before = on_hand(goods.sku, goods.warehouse_id)
    iid = desk.open_ticket(goods.customer_code)
    rma = authorize_return(desk, iid, goods, 2, "replacement")
    desk.complete(iid, "Activity_InspectReturn", "quality", {"inspection": [
        {"line_id": rma["lines"][0]["line_id"], "result": "defective", "disposition": "scrap"}]})

    assert desk.tasks(iid) == ["Activity_ShipReplacement"]
    assert desk.variables(iid)["replacement_reservation"]["fully_reserved"] is True
    assert_state_round_trips(iid)  # halfway through the parallel part
    desk.complete(iid, "Activity_ShipReplacement", "warehouse", {"carrier": "SF Express", "tracking_number": "SF9"})

    assert on_hand(goods.sku, goods.warehouse_id) == stock_before - 2, "scrapped goods stay out, new ones left"
    replacement_id = desk.variables(iid)["replacement"]["replacement_order_id"]
    with transaction() as session:
        order = get_order(session=session, order_id=replacement_id)
        assert order.total == Decimal("0.00") and order.status.value == "shipped"
    ticket = ticket_of(desk, iid)
    assert (ticket.status.value, ticket.resolution_code) == ("closed", "return_replacement")


def test_return_with_replacement_and_restock_does_both(desk: Desk) -> None:
    goods = shipped_goods(quantity="4")
    stock_before = on_hand(goods.sku, goods.warehouse_id)
    iid = desk.open_ticket(goods.customer_code)
    rma = authorize_return(desk, iid, goods, 1, "replacement")
    desk.complete(iid, "Activity_InspectReturn", "quality", {"inspection": [
        {"line_id": rma["lines"][0]["line_id"], "result": "ok", "disposition": "restock"}]})
    assert on_hand(goods.sku, goods.warehouse_id) == stock_before + 1, "restocked while the replacement waits"

    desk.complete(iid, "Activity_ShipReplacement", "warehouse", {"carrier": "SF Express", "tracking_number": "SF8"})
    assert on_hand(goods.sku, goods.warehouse_id) == stock_before
    assert ticket_of(desk, iid).status.value == "closed"


# ---------------------------------------------------------------- survey reminder


def test_survey_reminder_goes_out_after_three_days_and_a_late_answer_counts(desk: Desk) -> None:
    iid = desk.open_ticket(new_customer())
    desk.triage(iid, "remote")
    desk.answer(iid)
    resolve_remotely(desk, iid)
    number = desk.variables(iid)["ticket"]["number"]
    desk.advance(days=2, hours=23)
    assert mails_about(number)[-1] == f"How did we do? [{number}]"

    desk.advance(hours=1, minutes=1)
    assert mails_about(number)[-1] == f"Reminder: how did we do? [{number}]"
    assert answer_survey(desk, iid, 6)["element_id"] == "Event_SurveyAnsweredAfterReminder"
    assert desk.instance(iid)["status"] == "completed"
    assert desk.variables(iid)["survey"]["score"] == 6


def test_a_score_out_of_range_is_refused_and_the_survey_still_waits(desk: Desk) -> None:
    iid = desk.open_ticket(new_customer())
    desk.triage(iid, "remote")
    desk.answer(iid)
    resolve_remotely(desk, iid)
    number = desk.variables(iid)["ticket"]["number"]

    resp = desk.client.post("/api/v1/messages/survey_answered", headers=desk.headers("admin"),
                            json={"correlation": {"ticket_number": number}, "payload": {"score": 11}})
    assert resp.status_code == 422, resp.text
    assert desk.instance(iid)["status"] == "running"
    assert answer_survey(desk, iid, 10)["element_id"] == "Event_SurveyAnswered"


def test_unanswered_survey_lapses_after_a_week(desk: Desk) -> None:
    iid = desk.open_ticket(new_customer())
    desk.triage(iid, "remote")
    desk.answer(iid)
    resolve_remotely(desk, iid)
    desk.advance(days=3, minutes=1)
    desk.advance(days=4)

    assert desk.instance(iid)["status"] == "completed"
    number = desk.variables(iid)["ticket"]["number"]
    assert [s for s in mails_about(number) if "how did we do" in s.lower()] == [
        f"How did we do? [{number}]", f"Reminder: how did we do? [{number}]"]
    with transaction() as session:
        survey = session.scalar(select(Survey).where(Survey.ticket_id == desk.variables(iid)["ticket"]["ticket_id"]))
        assert survey is not None and survey.answered_at is None



# ---------------------------------------------------------------- forms


FORMS = Path(__file__).resolve().parents[2] / "processes" / "forms"


@pytest.mark.parametrize(("form", "data", "valid"), [
    ("ticket_start", {"customer_code": "C-1", "subject": "Noise", "description": "", "channel": "email",
                      "priority": "P2", "contact_email": "a@example.com"}, True),
    ("ticket_start", {"customer_code": "C-1", "subject": "Noise", "description": "", "channel": "fax",
                      "priority": "P2", "contact_email": "a@example.com"}, False),
    ("ticket_start", {"customer_code": "C-1", "subject": "Noise", "description": "", "channel": "email",
                      "priority": "P2", "contact_email": "not an address"}, False),
    ("ticket_triage", {"priority": "P1", "category": "malfunction", "route": "technician"}, True),
    ("ticket_triage", {"priority": "P5", "category": "malfunction", "route": "remote"}, False),
    ("ticket_schedule_visit", {"technician": "technician", "scheduled_at": "2030-01-02T09:00:00+08:00"}, True),
    ("ticket_schedule_visit", {"technician": "technician", "scheduled_at": "2030-01-02T09:00Z"}, True),
    ("ticket_schedule_visit", {"technician": "technician", "scheduled_at": "2030-01-02"}, False),
    ("ticket_schedule_visit", {"technician": "technician", "scheduled_at": "2030-01-02T09:00"}, False),
    ("ticket_visit_report", {"visit_report": "ok", "resolution_code": "advice", "parts": []}, True),
    ("ticket_visit_report", {"visit_report": "ok", "resolution_code": "advice",
                             "parts": [{"item_sku": "A", "warehouse_id": 1, "quantity": 0}]}, False),
    ("return_authorize", {"shipment_id": 1, "remedy": "refund",
                          "return_lines": [{"shipment_line_id": 1, "quantity": Decimal("1.5")}]}, True),
    ("return_authorize", {"shipment_id": 1, "remedy": "refund", "return_lines": []}, False),
    ("return_authorize", {"shipment_id": 1, "remedy": "credit", "return_lines": [
        {"shipment_line_id": 1, "quantity": 1}]}, False),
    ("return_inspect", {"inspection": [{"line_id": 1, "result": "ok", "disposition": "restock"}]}, True),
    ("return_inspect", {"inspection": [{"line_id": 1, "result": "ok", "disposition": "resell"}]}, False),
    ("return_inspect", {"inspection": [{"line_id": 1, "result": "ok", "disposition": "repair"}]}, False),
    ("ticket_escalation", {"escalation_action": "reassign", "escalation_note": "To Li"}, True),
    ("ticket_escalation", {"escalation_action": "reassign", "escalation_note": ""}, False),
])  # fmt: skip
def test_form_accepts_and_rejects(form: str, data: dict[str, Any], valid: bool) -> None:
    schema = json.loads((FORMS / f"{form}.schema.json").read_text(encoding="utf-8"), parse_float=Decimal)
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    assert (not list(validator.iter_errors(data))) is valid
