"""/api/v1 service endpoints: tickets with SLA state and filters, returns with lines, surveys and NPS."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from tests.web.test_pages_service import ServiceData, build_service_data


@pytest.fixture
def data(world: None) -> ServiceData:
    """A customer with a late P1, a calm P4 and a closed ticket with a resolved return and an answered survey."""
    return build_service_data()


def test_tickets_carry_their_sla_state(client: TestClient, as_user, data: ServiceData) -> None:  # type: ignore[no-untyped-def]
    resp = client.get(f"/api/v1/tickets?customer_id={data.customer_id}", headers=as_user("service"))

    assert resp.status_code == 200
    by_number = {t["number"]: t for t in resp.json()}
    assert by_number[data.late_number]["response_sla"] == "breached"
    assert by_number[data.calm_number]["response_sla"] == "on_track"
    assert by_number[data.calm_number]["priority"] == "P4"


def test_ticket_list_filters_breached(client: TestClient, as_user, data: ServiceData) -> None:  # type: ignore[no-untyped-def]
    resp = client.get(f"/api/v1/tickets?customer_id={data.customer_id}&sla=breached", headers=as_user("service"))

    assert [t["number"] for t in resp.json()] == [data.late_number]


def test_ticket_detail_lists_the_technician_visit(client: TestClient, as_user, data: ServiceData) -> None:  # type: ignore[no-untyped-def]
    resp = client.get(f"/api/v1/tickets/{data.closed_ticket}", headers=as_user("service"))

    body = resp.json()
    assert (resp.status_code, body["status"], body["technician"]) == (200, "closed", "service")
    assert [v["technician"] for v in body["visits"]] == ["service"]


def test_unknown_ticket_is_a_problem_404(client: TestClient, as_user, data: ServiceData) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/api/v1/tickets/999999999", headers=as_user("service"))

    assert resp.status_code == 404
    assert resp.headers["content-type"].startswith("application/problem+json")


def test_return_detail_has_exact_quantities(client: TestClient, as_user, data: ServiceData) -> None:  # type: ignore[no-untyped-def]
    resp = client.get(f"/api/v1/returns/{data.return_id}", headers=as_user("warehouse"))

    body = resp.json()
    assert (body["number"], body["status"], body["resolution"]) == (data.return_number, "resolved", "replacement")
    line = body["lines"][0]
    assert Decimal(line["quantity"]) == Decimal(line["received_qty"]) == Decimal(line["scrapped_qty"]) == 2
    assert line["disposition"] == "scrap"


def test_return_list_filters_by_status(client: TestClient, as_user, data: ServiceData) -> None:  # type: ignore[no-untyped-def]
    headers = as_user("service")
    resolved = client.get(f"/api/v1/returns?customer_id={data.customer_id}&status=resolved", headers=headers)
    authorized = client.get(f"/api/v1/returns?customer_id={data.customer_id}&status=authorized", headers=headers)

    assert [r["id"] for r in resolved.json()] == [data.return_id]
    assert authorized.json() == []


def test_nps_of_a_customer(client: TestClient, as_user, data: ServiceData) -> None:  # type: ignore[no-untyped-def]
    resp = client.get(f"/api/v1/surveys/nps?customer_id={data.customer_id}", headers=as_user("manager"))

    body = resp.json()
    assert (body["responses"], body["promoters"], Decimal(body["score"])) == (1, 1, Decimal("100.0"))


def test_surveys_list_answered_ones(client: TestClient, as_user, data: ServiceData) -> None:  # type: ignore[no-untyped-def]
    resp = client.get(f"/api/v1/surveys?customer_id={data.customer_id}&answered=true", headers=as_user("manager"))

    assert [(s["ticket_id"], s["score"]) for s in resp.json()] == [(data.closed_ticket, 10)]


def test_service_endpoints_need_a_token(client: TestClient) -> None:
    assert client.get("/api/v1/tickets").status_code == 401
