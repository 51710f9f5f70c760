"""The whole lead-to-cash through /api/v1 alone, with a save/reload check of the workflow at every step.

(Every branch of the process, with time moved by the clock, is in tests/processes/test_lead_to_cash.py.)"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from domain.db import transaction
from engine import store
from engine.models import ProcessInstance
from tests import flow

START = {"customer_code": "C-SH-003", "lead_title": "Pumps for line 4", "source": "referral"}
BIG_QUOTE = {"lines": [{"item_sku": "PUMP-100", "quantity": 30}]}  # 78,000 at list price: over 50,000 (regular)
SMALL_QUOTE = {"lines": [{"item_sku": "VALVE-25", "quantity": 10}]}


def assert_state_round_trips(instance_id: int) -> None:
    """Loading the stored workflow and saving it again gives the same JSON (nothing lost or changed)."""
    with transaction() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instance is not None
        workflow = store.load(session, instance, None)
        assert json.loads(store.dump(workflow)) == json.loads(instance.state)


def start(client: TestClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    body = {"process_key": "lead_to_cash", "variables": {**START, **overrides}}
    resp = client.post("/api/v1/process-instances", json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    return resp.json()


def only_task(client: TestClient, instance_id: int, headers: dict[str, str]) -> dict[str, Any]:
    resp = client.get(f"/api/v1/process-instances/{instance_id}", headers=headers)
    tasks = resp.json()["open_tasks"]
    assert len(tasks) == 1, tasks
    return tasks[0]


def complete(client: TestClient, task_id: int, data: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    resp = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": data}, headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


def first_contact(client: TestClient, instance_id: int, headers: dict[str, str]) -> None:
    """The owner's (here the shared queue's) first contact; qualifying comes next."""
    contact = only_task(client, instance_id, headers)
    assert contact["element_id"] == "Activity_FirstContact"
    complete(client, contact["id"], {"channel": "phone"}, headers)


def start_to_qualify(client: TestClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    """Start a lead and make the first contact: the instance waits at Qualify lead."""
    inst = start(client, headers, **overrides)
    first_contact(client, inst["id"], headers)
    return inst


def test_lead_to_cash_runs_to_the_end_through_the_api(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    sales, director = as_user("sales"), as_user("director")
    warehouse, finance = as_user("warehouse"), as_user("finance")
    inst = start(client, sales)
    iid = inst["id"]
    assert inst["variables"]["customer"]["tier"] == "regular"
    assert inst["variables"]["lead"]["status"] == "new" and inst["variables"]["lead_owner"] == ""  # no region
    assert_state_round_trips(iid)

    contact = only_task(client, iid, sales)
    assert (contact["element_id"], contact["candidate_group"]) == ("Activity_FirstContact", "sales")
    due = datetime.fromisoformat(contact["due_at"]) - datetime.fromisoformat(contact["created_at"])
    assert due == timedelta(hours=2)  # dueIn="PT2H": first contact within 2 hours
    complete(client, contact["id"], {"channel": "email", "contact_note": "sent the catalogue"}, sales)
    assert_state_round_trips(iid)

    qualify = only_task(client, iid, sales)
    assert (qualify["element_id"], qualify["candidate_group"]) == ("Activity_QualifyLead", "sales")
    detail = client.get(f"/api/v1/tasks/{qualify['id']}", headers=sales).json()
    assert detail["form_schema"]["properties"]["qualified"]["type"] == "boolean"
    assert client.post(f"/api/v1/tasks/{qualify['id']}/claim", headers=sales).json()["assignee"] == "sales"
    assert complete(client, qualify["id"], {"qualified": True}, sales)["next_task_id"] is not None
    assert_state_round_trips(iid)

    quote = only_task(client, iid, sales)
    assert quote["element_id"] == "Activity_PrepareQuote"
    complete(client, quote["id"], BIG_QUOTE, sales)
    assert_state_round_trips(iid)

    approval = only_task(client, iid, director)
    assert (approval["element_id"], approval["candidate_group"]) == ("Activity_DirectorApproval", "sales_management")
    complete(client, approval["id"], {"decision": "reject", "comment": "ask for a bigger order"}, director)
    assert_state_round_trips(iid)
    quote2 = only_task(client, iid, sales)
    assert quote2["element_id"] == "Activity_PrepareQuote" and quote2["id"] != quote["id"]
    complete(client, quote2["id"], BIG_QUOTE, sales)
    assert_state_round_trips(iid)
    approval2 = only_task(client, iid, director)
    complete(client, approval2["id"], {"decision": "approve", "comment": "ok"}, director)
    assert_state_round_trips(iid)

    answer = only_task(client, iid, sales)
    assert answer["element_id"] == "Activity_CustomerAcceptance"
    complete(client, answer["id"], {"accepted": True}, sales)
    assert_state_round_trips(iid)

    ship = only_task(client, iid, warehouse)
    assert ship["element_id"] == "Activity_ShipOrder"
    variables = client.get(f"/api/v1/process-instances/{iid}", headers=warehouse).json()["variables"]
    assert variables["reservation"]["fully_reserved"] is True
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    complete(client, ship["id"], {"carrier": "SF Express", "tracking_number": "SF123", "shipped_on": "2026-11-20",
                                  "expected_delivery": tomorrow, "notify_email": "goods@customer.example"}, warehouse)
    assert_state_round_trips(iid)
    flow.run_due_jobs()  # the day-before-delivery notice is due: mail, then the invoice

    pay = only_task(client, iid, finance)
    invoice = client.get(f"/api/v1/process-instances/{iid}", headers=finance).json()["variables"]["invoice"]
    assert Decimal(invoice["total"]) == Decimal("78000.00")  # 30 x 2600 at list price (regular: no discount)
    done = complete(client, pay["id"], {"amount": float(invoice["total"]), "paid_on": "2026-11-23"}, finance)
    assert done["instance_status"] == "completed"
    assert_state_round_trips(iid)

    final = client.get(f"/api/v1/process-instances/{iid}", headers=finance).json()
    assert final["status"] == "completed" and final["open_tasks"] == []
    assert final["variables"]["payment"]["invoice_status"] == "paid"
    events = client.get(f"/api/v1/process-instances/{iid}/history", headers=finance).json()["events"]
    kinds = [e["type"] for e in events]
    assert kinds[0] == "instance_started" and kinds[-1] == "instance_completed"
    assert kinds.count("task_completed") == 9
    assert {e["data"]["operator"] for e in events if e["type"] == "service_called"} == {
        "crm.get_customer", "crm.create_lead", "crm.record_first_contact", "crm.qualify_lead", "sales.create_quote",
        "sales.apply_quote_discount", "finance.credit_check", "sales.mark_quote_expired", "sales.mark_quote_sent",
        "sales.mark_quote_accepted", "crm.move_opportunity_stage", "sales.create_order_from_quote",
        "inventory.reserve_stock", "inventory.ship_order", "notifications.send_mail", "finance.create_invoice",
        "finance.invoice_status", "finance.record_payment"}
    completed_by = {e["element_id"]: e["actor"] for e in events if e["type"] == "task_completed"}
    assert completed_by["Activity_DirectorApproval"] == "director" and completed_by["Activity_ShipOrder"] == "warehouse"


def test_small_quote_skips_director_approval(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    sales = as_user("sales")
    iid = start(client, sales, customer_code="C-BJ-004")["id"]
    first_contact(client, iid, sales)
    complete(client, only_task(client, iid, sales)["id"], {"qualified": True}, sales)
    complete(client, only_task(client, iid, sales)["id"], SMALL_QUOTE, sales)
    assert only_task(client, iid, sales)["element_id"] == "Activity_CustomerAcceptance"


def test_disqualified_lead_ends_the_instance(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    sales = as_user("sales")
    iid = start(client, sales)["id"]
    first_contact(client, iid, sales)
    out = complete(client, only_task(client, iid, sales)["id"], {"qualified": False, "notes": "no budget"}, sales)
    assert out["instance_status"] == "completed" and out["next_task_id"] is None
