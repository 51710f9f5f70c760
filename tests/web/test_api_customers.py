"""The customers API: list with filters, create, contacts, follow-ups, import; leads and opportunities."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from domain.db import transaction
from tests.factories_crm import make_account


@pytest.fixture
def account(world: None) -> dict[str, Any]:
    with transaction() as session:
        made = make_account(session, credit_rating="D", region="west")
        return {"code": made["customer"].code, "tag": made["tag"], "lead_id": made["lead"].id,
                "opportunity_id": made["opportunity"].id}


def test_list_customers_filters_by_rating_and_search(client: TestClient, as_user: Any,
                                                     account: dict[str, Any]) -> None:
    found = client.get(f"/api/v1/customers?q={account['tag']}&rating=D&region=west", headers=as_user("sales"))

    assert found.status_code == 200
    assert [(c["code"], c["credit_rating"], c["weak_credit"]) for c in found.json()] == [(account["code"], "D", True)]


def test_create_customer_generates_a_code(client: TestClient, as_user: Any, world: None) -> None:
    response = client.post("/api/v1/customers", json={"name": f"API {uuid.uuid4().hex}", "credit_rating": "A"},
                           headers=as_user("sales"))

    body = response.json()
    assert response.status_code == 201 and body["code"] == f"C{body['id']:06d}"


def test_only_sales_create_customers(client: TestClient, as_user: Any, world: None) -> None:
    response = client.post("/api/v1/customers", json={"name": "Nope"}, headers=as_user("warehouse"))

    assert response.status_code == 403 and response.json()["code"] == "not_a_customer_writer"


def test_contacts_and_follow_ups_of_a_customer(client: TestClient, as_user: Any, account: dict[str, Any]) -> None:
    sales = as_user("sales")
    base = f"/api/v1/customers/{account['code']}"

    added = client.post(f"{base}/contacts", json={"name": "Mr. Sun", "roles": ["technical"]}, headers=sales)
    logged = client.post(f"{base}/follow-ups", json={"channel": "visit", "note": "api"}, headers=sales)

    assert added.status_code == 201 and logged.status_code == 201 and logged.json()["by"] == "sales"
    assert [c["roles"] for c in client.get(f"{base}/contacts", headers=sales).json()] == [
        ["finance", "receiving"], ["technical"]]
    assert client.get(base, headers=sales).json()["last_follow_up_at"] == logged.json()["at"]


def test_unknown_customer_is_a_404_problem(client: TestClient, as_user: Any, world: None) -> None:
    response = client.get("/api/v1/customers/NO-SUCH", headers=as_user("sales"))

    assert response.status_code == 404 and response.json()["code"] == "customer_not_found"


def test_import_dry_run_reports_errors_and_writes_nothing(client: TestClient, as_user: Any, world: None) -> None:
    name = f"Dry {uuid.uuid4().hex}"
    content = f"name,credit_rating\n{name},A\nOther {uuid.uuid4().hex},Z\n".encode()

    response = client.post("/api/v1/customers/import", files={"file": ("c.csv", content)}, headers=as_user("sales"))

    body = response.json()
    assert response.status_code == 200 and (body["ok"], body["applied"], body["created"]) == (False, False, [])
    assert [r["errors"] for r in body["rows"]] == [{}, {"credit_rating": "credit rating must be one of A, B, C, D"}]
    assert client.get(f"/api/v1/customers?q={name}", headers=as_user("sales")).json() == []


def test_import_applied_creates_customers(client: TestClient, as_user: Any, world: None) -> None:
    name = f"Applied {uuid.uuid4().hex}"

    response = client.post("/api/v1/customers/import?dry_run=false", files={"file": ("c.csv", f"name\n{name}\n")},
                           headers=as_user("sales"))

    assert response.status_code == 200 and len(response.json()["created"]) == 1
    assert [c["name"] for c in client.get(f"/api/v1/customers?q={name}", headers=as_user("sales")).json()] == [name]


def test_import_applied_with_errors_is_a_422_with_each_error(client: TestClient, as_user: Any, world: None) -> None:
    response = client.post("/api/v1/customers/import?dry_run=false", files={"file": ("c.csv", "name,tier\nX,gold\n")},
                           headers=as_user("sales"))

    assert response.status_code == 422
    assert response.json()["errors"] == [{"line": 2, "field": "tier",
                                          "message": "tier must be one of strategic, key, regular"}]


def test_leads_and_opportunities_are_listed_and_read(client: TestClient, as_user: Any,
                                                     account: dict[str, Any]) -> None:
    sales = as_user("sales")

    leads = client.get(f"/api/v1/leads?q=Lead+{account['tag']}&status=qualified", headers=sales).json()
    opportunity = client.get(f"/api/v1/opportunities/{account['opportunity_id']}", headers=sales).json()
    by_customer = client.get(f"/api/v1/opportunities?customer_code={account['code']}", headers=sales).json()

    assert [lead["id"] for lead in leads] == [account["lead_id"]]
    assert (opportunity["stage"], opportunity["weighted_amount"]) == ("qualification", "500.00")
    assert [o["id"] for o in by_customer] == [account["opportunity_id"]]


def test_create_lead_through_the_api(client: TestClient, as_user: Any, world: None) -> None:
    response = client.post("/api/v1/leads", json={"source": "phone", "company": f"Caller {uuid.uuid4().hex}",
                                                  "region": "north"}, headers=as_user("sales"))

    assert response.status_code == 201 and response.json()["status"] == "new"
