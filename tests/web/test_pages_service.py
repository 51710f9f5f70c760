"""Service pages: tickets with SLA filters, ticket detail, returns, surveys with NPS, and the customer-page partial."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest

from domain import clock
from domain.db import transaction
from domain.inventory.service import get_shipment, reserve_for_order, ship_order
from domain.service import resolutions, returns, service, surveys
from domain.service.models import Disposition, InspectionResult
from domain.service.schemas import InspectedLine, ReturnLineCreate, TicketCreate
from tests.factories import ACTOR, make_customer, make_item, make_order, make_warehouse, receive
from tests.web.conftest import Browser, unique
from web.i18n import Formatter
from web.pages.service import customer_service_context
from web.templating import env


@dataclass
class ServiceData:
    customer_id: int
    customer_code: str
    late_ticket: int
    late_number: str
    calm_ticket: int
    calm_number: str
    closed_ticket: int
    return_id: int
    return_number: str
    order_number: str
    shipment_number: str


def build_service_data() -> ServiceData:
    """A customer with a late P1, a calm P4 and a closed ticket with a resolved return and an answered survey."""
    with transaction() as session:
        customer = make_customer(session, name=f"Service Test {unique()}")
        item, warehouse = make_item(session, sku=unique("SPARE"), name="Spare pump"), make_warehouse(session)
        receive(session, item, warehouse, "20")
        order = make_order(session, customer, (item, "4", "120.00"))
        reserve_for_order(session=session, order_id=order.id)
        shipment = get_shipment(session=session,
                                shipment_id=ship_order(session=session, order_id=order.id, actor=ACTOR).shipment_id)

        def ticket(subject: str, priority: str) -> tuple[int, str]:
            made = service.create_ticket(session=session, actor=ACTOR, data=TicketCreate(
                customer_code=customer.code, subject=subject, priority=priority, sales_order_id=order.id))
            return made.id, made.number

        real_now = clock.now()
        clock.set_clock(lambda: real_now - timedelta(hours=2))  # opened 2 hours ago: a P1 response is overdue
        try:
            late = ticket("Line stopped", "P1")
        finally:
            clock.reset_clock()
        calm = ticket("Manual missing", "P4")
        closed, _ = ticket("Noisy bearing", "P3")
        service.dispatch_technician(session=session, ticket_id=closed, technician="service",
                                    scheduled_at=clock.now() + timedelta(hours=3))
        rma = returns.open_return(session=session, ticket_id=closed, shipment_id=shipment.id, actor=ACTOR,
                                  lines=[ReturnLineCreate(shipment_line_id=shipment.lines[0].id,
                                                          quantity=Decimal("2"), reason="bearing noise")])
        returns.receive_return(session=session, return_id=rma.id)
        returns.inspect_return(session=session, return_id=rma.id, lines=[InspectedLine(
            line_id=rma.lines[0].id, result=InspectionResult.DEFECTIVE, disposition=Disposition.SCRAP)])
        resolutions.replace_return(session=session, return_id=rma.id, actor=ACTOR)
        service.resolve_ticket(session=session, ticket_id=closed, resolution_code="replaced")
        service.close_ticket(session=session, ticket_id=closed)
        survey = surveys.send_survey(session=session, ticket_id=closed)
        surveys.record_answer(session=session, survey_id=survey.id, score=10, comment="fast and friendly")
        return ServiceData(customer.id, customer.code, *late, *calm, closed, rma.id, rma.number, order.number,
                           shipment.number)


@pytest.fixture
def data(world: None) -> ServiceData:
    return build_service_data()


def test_tickets_page_lists_the_customers_tickets_with_a_nav_link(browser: Callable[..., Browser],
                                                                 data: ServiceData) -> None:
    page = browser("service").get(f"/tickets?customer={data.customer_code}")

    assert page.status_code == 200
    assert 'href="/tickets"' in page.text
    assert data.late_number in page.text and data.calm_number in page.text


def test_breached_filter_shows_only_tickets_past_a_due_time(browser: Callable[..., Browser],
                                                           data: ServiceData) -> None:
    page = browser("service").get(f"/tickets?customer={data.customer_code}&sla=breached")

    assert data.late_number in page.text
    assert data.calm_number not in page.text
    assert "Breached" in page.text


def test_status_filter_shows_only_closed_tickets(browser: Callable[..., Browser], data: ServiceData) -> None:
    page = browser("service").get(f"/tickets?customer={data.customer_code}&status=closed")

    assert f'href="/tickets/{data.closed_ticket}"' in page.text
    assert data.late_number not in page.text


def test_technician_filter_finds_the_dispatched_ticket(browser: Callable[..., Browser], data: ServiceData) -> None:
    page = browser("service").get(f"/tickets?customer={data.customer_code}&technician=service")

    assert f'href="/tickets/{data.closed_ticket}"' in page.text
    assert data.calm_number not in page.text


def test_unknown_customer_code_matches_nothing(browser: Callable[..., Browser], data: ServiceData) -> None:
    page = browser("service").get("/tickets?customer=NO-SUCH-CUSTOMER")

    assert "No tickets match." in page.text


def test_ticket_page_shows_sla_state_visit_return_and_survey(browser: Callable[..., Browser],
                                                            data: ServiceData) -> None:
    late = browser("sales").get(f"/tickets/{data.late_ticket}")
    closed = browser("sales").get(f"/tickets/{data.closed_ticket}")

    assert late.status_code == 200 and 'id="response-sla"' in late.text and "Breached" in late.text
    assert closed.status_code == 200 and data.order_number in closed.text
    assert 'id="visits"' in closed.text and data.return_number in closed.text
    assert "fast and friendly" in closed.text


def test_unknown_ticket_is_not_found(browser: Callable[..., Browser], data: ServiceData) -> None:
    assert browser("service").get("/tickets/999999999").status_code == 404


def test_returns_page_filters_by_status(browser: Callable[..., Browser], data: ServiceData) -> None:
    resolved = browser("service").get(f"/returns?customer={data.customer_code}&status=resolved")
    authorized = browser("service").get(f"/returns?customer={data.customer_code}&status=authorized")

    assert data.return_number in resolved.text
    assert data.return_number not in authorized.text


def test_return_page_shows_lines_with_their_disposition(browser: Callable[..., Browser], data: ServiceData) -> None:
    page = browser("service").get(f"/returns/{data.return_id}")

    assert page.status_code == 200
    assert "bearing noise" in page.text and "Scrap" in page.text and "Replacement" in page.text
    assert data.order_number in page.text and data.shipment_number in page.text


def test_surveys_page_shows_the_customers_nps(browser: Callable[..., Browser], data: ServiceData) -> None:
    page = browser("manager", accept_language="en").get(f"/surveys?customer={data.customer_code}")

    assert page.status_code == 200
    assert 'id="nps-score">100.0<' in page.text
    assert "fast and friendly" in page.text


def test_pages_need_a_signed_in_user(browser: Callable[..., Browser], data: ServiceData) -> None:
    response = browser().client.get("/tickets", follow_redirects=False)

    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_customer_partial_lists_only_that_customers_tickets_and_returns(data: ServiceData) -> None:
    with transaction() as session:
        other = make_customer(session, name=f"Other {unique()}")
        other_ticket = service.create_ticket(session=session, actor=ACTOR,
                                             data=TicketCreate(customer_code=other.code, subject="Elsewhere"))
        context = customer_service_context(session, data.customer_id)
        html = env.get_template("service_customer.html").render(
            **context, _=lambda s: s, fmt=Formatter("en"))

    assert data.late_number in html and data.return_number in html
    assert other_ticket.number not in html
    assert f"/tickets?customer={data.customer_code}" in html
