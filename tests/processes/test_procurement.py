"""processes/procurement.bpmn through /api/v1: request, approval by amount, order, receipt, inspection, invoice, pay.

Walkthrough with the demo users: `buyer` starts "Procurement" by hand (items, needed by); a sales order short of
stock starts it by the `purchase_request` message, and the nightly reorder check starts it for items below their
reorder point. The approval DMN decides on the requests' value: below 10,000 they are approved automatically, up to
100,000 `purchasing.manager` approves, above that Finance (`finance`) approves too. The best supplier gets the order.
`warehouse` records the delivery in "Receive goods" (if the supplier is late, `buyer` gets "Chase late supplier" and
enters a new date), `quality` lists rejected goods in "Inspect goods": accepted goods go into stock, rejected ones back
to the supplier, and a partial delivery waits for the rest. Once all is in, a shortage-started instance sends
`goods_received` to the waiting sales order. `finance` enters the supplier invoice; the 3-way match passes it to
"Pay supplier" or asks Finance to review the mismatch (accept it, or reject it and enter the corrected invoice).
"""

# ruff: noqa: F811 - the API fixtures imported from tests.web.conftest are used as parameters
from __future__ import annotations

import json
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from domain.db import transaction
from domain.inventory.models import Item, StockBalance
from domain.procurement.models import GoodsReceiptLine, PurchaseOrder, PurchaseRequest, SupplierInvoice, SupplierReturn
from engine import runtime, store
from engine.jobs import TIMER_ACTOR_NAME
from engine.models import ProcessInstance
from tests import flow
from tests.bpmn_samples import HEADER
from tests.conftest import MovableClock
from tests.factories import make_customer, make_item, make_order
from tests.procurement_factories import make_supplier
from tests.web.conftest import app, as_user, client, token_for  # noqa: F401 - the API fixtures
from web.i18n import Formatter
from web.pages.context import instance_facts

Headers = dict[str, str]
NIGHTLY = runtime.Actor(TIMER_ACTOR_NAME, admin=True)


def _item(unit_cost: str, price: str, reorder_point: str = "0") -> str:
    """A fresh item offered by a fresh supplier (lead time 7 days) at price; its sku."""
    with transaction() as session:
        item = make_item(session, sku=f"PRC-{uuid.uuid4().hex[:8]}", unit_cost=Decimal(unit_cost),
                         reorder_point=Decimal(reorder_point), reorder_quantity=Decimal("10"))
        make_supplier(session, (item, price), currency="CNY")
        return item.sku


def _start(client: TestClient, headers: Headers, sku: str, quantity: int) -> int:
    body = {"process_key": "procurement", "variables": {
        "request_lines": [{"item_sku": sku, "quantity": quantity}], "needed_by": "2026-12-01", "note": "test"}}
    resp = client.post("/api/v1/process-instances", json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    return int(resp.json()["id"])


def _instance(client: TestClient, iid: int, headers: Headers) -> dict[str, Any]:
    body = client.get(f"/api/v1/process-instances/{iid}", headers=headers).json()
    assert body["incidents"] == [], body["incidents"]
    return dict(body)


def _task(client: TestClient, iid: int, headers: Headers) -> dict[str, Any]:
    tasks = _instance(client, iid, headers)["open_tasks"]
    assert len(tasks) == 1, tasks
    return dict(tasks[0])


def _do(client: TestClient, iid: int, element: str, headers: Headers, data: dict[str, Any]) -> None:
    """Complete the instance's one open task, which must be `element`."""
    task = _task(client, iid, headers)
    assert task["element_id"] == element
    resp = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": data}, headers=headers)
    assert resp.status_code == 200, resp.text
    _assert_state_round_trips(iid)


def _assert_state_round_trips(iid: int) -> None:
    """Loading the stored workflow and saving it again gives the same JSON (nothing lost or changed)."""
    with transaction() as session:
        instance = session.get_one(ProcessInstance, iid)
        assert json.loads(store.dump(store.load(session, instance, None))) == json.loads(instance.state)


def _requests(iid: int) -> list[dict[str, Any]]:
    """The instance's purchase requests as plain data."""
    with transaction() as session:
        ids = session.get_one(ProcessInstance, iid).variables["requests"]["request_ids"]
        rows = session.scalars(select(PurchaseRequest).where(PurchaseRequest.id.in_(ids)).order_by(PurchaseRequest.id))
        return [{"sku": r.item.sku, "source": r.source.value, "quantity": r.quantity, "status": r.status.value,
                 "sales_order_id": r.sales_order_id, "business_key": r.business_key,
                 "approvals": sorted((a.step, a.decision.value, a.decided_by) for a in r.approvals)} for r in rows]


def _approvals(iid: int) -> list[tuple[int, str, str]]:
    [request] = _requests(iid)
    return list(request["approvals"])


def _order(iid: int) -> dict[str, Any]:
    """The instance's purchase order as plain data (one line)."""
    with transaction() as session:
        variables = session.get_one(ProcessInstance, iid).variables
        order = session.get_one(PurchaseOrder, variables["purchase_order"]["id"])
        [line] = order.lines
        return {"number": order.number, "status": order.status.value, "expected_date": order.expected_date,
                "quantity": line.quantity, "unit_price": line.unit_price, "open_qty": line.open_qty}


def _on_hand(sku: str) -> Decimal:
    with transaction() as session:
        total = session.scalar(select(func.sum(StockBalance.on_hand)).join(Item, Item.id == StockBalance.item_id)
                               .where(Item.sku == sku))
        return Decimal(total or 0)


def _receive(client: TestClient, iid: int, sku: str, quantity: int, as_user: Any, rejected: int = 0) -> None:
    _do(client, iid, "Activity_ReceiveGoods", as_user("warehouse"), {
        "received_lines": [{"item_sku": sku, "quantity": quantity}], "received_on": "2026-11-05"})
    rejections = [{"item_sku": sku, "quantity": rejected}] if rejected else []
    _do(client, iid, "Activity_InspectGoods", as_user("quality"),
        {"rejections": rejections, "inspection_note": "scratched housing" if rejected else ""})


def _invoice(client: TestClient, iid: int, sku: str, quantity: int, price: str, as_user: Any) -> None:
    _do(client, iid, "Activity_EnterSupplierInvoice", as_user("finance"), {
        "supplier_invoice_number": f"INV-{uuid.uuid4().hex[:8]}", "invoice_date": "2026-11-06",
        "invoice_lines": [{"item_sku": sku, "quantity": quantity, "unit_price": float(price)}]})


def fresh_tokens(client: TestClient) -> Any:
    """as_user with tokens issued now (after the clock moved)."""
    return lambda username: token_for(client, username)


def _ordered_small(client: TestClient, as_user: Any, quantity: int = 5) -> tuple[int, str]:
    """A request below the approval limit, ordered: the instance waits in Receive goods."""
    sku = _item("20.00", "18.50")
    iid = _start(client, as_user("buyer"), sku, quantity)
    assert _task(client, iid, as_user("warehouse"))["element_id"] == "Activity_ReceiveGoods"
    return iid, sku


# ---------------------------------------------------------------- request by hand, approval by amount


def test_small_request_by_hand_is_approved_automatically_and_ordered_from_the_supplier(
        client: TestClient, as_user: Any, moving_clock: MovableClock) -> None:
    iid, sku = _ordered_small(client, as_user)
    assert _approvals(iid) == [(1, "approved", "system")]
    order = _order(iid)
    assert order["status"] == "open" and order["unit_price"] == Decimal("18.50")
    assert order["quantity"] == Decimal("5")
    task = _task(client, iid, as_user("warehouse"))
    assert task["candidate_group"] == "warehouse"


def test_a_request_by_hand_needs_items_and_a_date(client: TestClient, as_user: Any) -> None:
    resp = client.post("/api/v1/process-instances", headers=as_user("buyer"),
                       json={"process_key": "procurement", "variables": {"request_lines": [], "note": "urgent"}})
    assert resp.status_code == 422
    assert {e["field"] for e in resp.json()["errors"]} >= {"request_lines", "needed_by"}


def test_request_up_to_100k_needs_the_purchasing_manager(
        client: TestClient, as_user: Any, moving_clock: MovableClock) -> None:
    sku = _item("1000.00", "950.00")
    iid = _start(client, as_user("buyer"), sku, 20)  # 20,000
    manager = as_user("purchasing.manager")
    task = _task(client, iid, manager)
    assert (task["element_id"], task["candidate_group"]) == ("Activity_ManagerApproval", "purchasing_management")
    _do(client, iid, "Activity_ManagerApproval", manager, {"decision": "approve"})
    assert _approvals(iid) == [(1, "approved", "purchasing.manager")]
    assert _task(client, iid, as_user("warehouse"))["element_id"] == "Activity_ReceiveGoods"


def test_request_above_100k_needs_the_manager_and_finance(
        client: TestClient, as_user: Any, moving_clock: MovableClock) -> None:
    sku = _item("1000.00", "950.00")
    iid = _start(client, as_user("buyer"), sku, 150)  # 150,000
    _do(client, iid, "Activity_ManagerApproval", as_user("purchasing.manager"), {"decision": "approve"})
    task = _task(client, iid, as_user("finance"))
    assert (task["element_id"], task["candidate_group"]) == ("Activity_FinanceApproval", "finance")
    _do(client, iid, "Activity_FinanceApproval", as_user("finance"), {"decision": "approve", "comment": "budgeted"})
    assert _approvals(iid) == [(1, "approved", "purchasing.manager"), (2, "approved", "finance")]
    assert _order(iid)["quantity"] == Decimal("150")


def test_rejected_request_ends_without_an_order(client: TestClient, as_user: Any, moving_clock: MovableClock) -> None:
    sku = _item("1000.00", "950.00")
    iid = _start(client, as_user("buyer"), sku, 20)
    _do(client, iid, "Activity_ManagerApproval", as_user("purchasing.manager"),
        {"decision": "reject", "comment": "use stock from Shanghai"})
    body = _instance(client, iid, as_user("buyer"))
    assert body["status"] == "completed" and "purchase_order" not in body["variables"]
    [request] = _requests(iid)
    assert request["status"] == "rejected"


def test_finance_can_reject_a_request_the_manager_approved(
        client: TestClient, as_user: Any, moving_clock: MovableClock) -> None:
    sku = _item("1000.00", "950.00")
    iid = _start(client, as_user("buyer"), sku, 150)
    _do(client, iid, "Activity_ManagerApproval", as_user("purchasing.manager"), {"decision": "approve"})
    _do(client, iid, "Activity_FinanceApproval", as_user("finance"), {"decision": "reject", "comment": "no budget"})
    assert _instance(client, iid, as_user("buyer"))["status"] == "completed"
    assert _approvals(iid) == [(1, "approved", "purchasing.manager"), (2, "rejected", "finance")]


# ---------------------------------------------------------------- receipt, inspection, returns, supplier late


def test_a_late_supplier_gives_the_buyer_a_chase_task(
        client: TestClient, as_user: Any, moving_clock: MovableClock) -> None:
    iid, sku = _ordered_small(client, as_user)
    expected = _order(iid)["expected_date"]
    moving_clock.advance(days=7)  # the expected date itself: not late yet
    flow.run_due_jobs()
    as_user = fresh_tokens(client)  # API tokens expire as the clock moves
    assert _task(client, iid, as_user("warehouse"))["element_id"] == "Activity_ReceiveGoods"
    moving_clock.advance(days=1, seconds=1)
    flow.run_due_jobs()
    as_user = fresh_tokens(client)
    task = _task(client, iid, as_user("buyer"))
    assert (task["element_id"], task["candidate_group"]) == ("Activity_ChaseSupplier", "purchasing")
    assert _instance(client, iid, as_user("buyer"))["variables"]["purchase_order"]["overdue"] is True
    _do(client, iid, "Activity_ChaseSupplier", as_user("buyer"),
        {"expected_date": str(expected + timedelta(days=3)), "chase_note": "truck broke down"})
    assert _task(client, iid, as_user("warehouse"))["element_id"] == "Activity_ReceiveGoods"
    moving_clock.advance(days=1)
    flow.run_due_jobs()
    as_user = fresh_tokens(client)
    assert _task(client, iid, as_user("warehouse"))["element_id"] == "Activity_ReceiveGoods", "the new date holds"


def test_a_partial_delivery_is_booked_and_the_rest_awaited(
        client: TestClient, as_user: Any, moving_clock: MovableClock) -> None:
    iid, sku = _ordered_small(client, as_user)
    _receive(client, iid, sku, 3, as_user)
    assert _on_hand(sku) == Decimal("3")
    assert _order(iid)["status"] == "partially_received"
    assert _task(client, iid, as_user("warehouse"))["element_id"] == "Activity_ReceiveGoods"
    _receive(client, iid, sku, 2, as_user)
    assert _on_hand(sku) == Decimal("5") and _order(iid)["status"] == "received"
    assert _task(client, iid, as_user("finance"))["element_id"] == "Activity_EnterSupplierInvoice"


def test_a_delivery_of_an_item_not_on_the_order_is_refused_and_the_task_stays_open(
        client: TestClient, as_user: Any, moving_clock: MovableClock) -> None:
    iid, sku = _ordered_small(client, as_user)
    warehouse = as_user("warehouse")
    task = _task(client, iid, warehouse)
    resp = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=warehouse, json={"data": {
        "received_lines": [{"item_sku": "NOT-ORDERED", "quantity": 1}], "received_on": "2026-11-05"}})
    assert resp.status_code == 422
    assert "not on purchase order" in resp.json()["detail"] and "NOT-ORDERED" in resp.json()["detail"]
    assert _task(client, iid, warehouse)["id"] == task["id"]
    assert _on_hand(sku) == Decimal("0")


def test_rejected_goods_go_back_to_the_supplier_and_are_awaited_again(
        client: TestClient, as_user: Any, moving_clock: MovableClock) -> None:
    iid, sku = _ordered_small(client, as_user)
    _receive(client, iid, sku, 5, as_user, rejected=2)
    assert _on_hand(sku) == Decimal("3"), "only accepted goods are booked"
    with transaction() as session:
        receipt_id = session.get_one(ProcessInstance, iid).variables["receipt"]["receipt_id"]
        returns = session.scalars(select(SupplierReturn).join(GoodsReceiptLine)
                                  .where(GoodsReceiptLine.receipt_id == receipt_id))
        assert [(r.quantity, r.reason) for r in returns] == [(Decimal("2.000"), "scratched housing")]
    assert _order(iid)["open_qty"] == Decimal("2")
    assert _task(client, iid, as_user("warehouse"))["element_id"] == "Activity_ReceiveGoods"


# ---------------------------------------------------------------- supplier invoice and payment


def test_matching_invoice_is_paid_and_the_process_ends(
        client: TestClient, as_user: Any, moving_clock: MovableClock) -> None:
    iid, sku = _ordered_small(client, as_user)
    _receive(client, iid, sku, 5, as_user)
    _invoice(client, iid, sku, 5, "18.50", as_user)
    assert _instance(client, iid, as_user("finance"))["variables"]["invoice_match"]["matched"] is True
    _do(client, iid, "Activity_PaySupplier", as_user("finance"), {"paid_on": "2026-11-20", "payment_reference": "T-1"})
    body = _instance(client, iid, as_user("finance"))
    assert body["status"] == "completed"
    assert body["variables"]["supplier_payment"]["fully_paid"] is True
    assert Decimal(str(body["variables"]["supplier_payment"]["amount"])) == Decimal("92.50")
    assert _order(iid)["status"] == "invoiced"
    assert flow.jobs_of(iid, "message") == [], "a request by hand tells no sales order"


def test_mismatched_invoice_accepted_by_finance_becomes_payable(
        client: TestClient, as_user: Any, moving_clock: MovableClock) -> None:
    iid, sku = _ordered_small(client, as_user)
    _receive(client, iid, sku, 5, as_user)
    _invoice(client, iid, sku, 5, "25.00", as_user)
    finance = as_user("finance")
    _do(client, iid, "Activity_ReviewInvoice", finance,
        {"invoice_decision": "accept", "review_comment": "price rise agreed by phone"})
    with transaction() as session:
        invoice_id = session.get_one(ProcessInstance, iid).variables["supplier_invoice"]["id"]
        invoice = session.get_one(SupplierInvoice, invoice_id)
        assert (invoice.payable, invoice.approved_by, invoice.approval_comment) == (
            True, "finance", "price rise agreed by phone")
    _do(client, iid, "Activity_PaySupplier", finance, {"paid_on": "2026-11-20"})
    assert _instance(client, iid, finance)["status"] == "completed"


def test_the_review_task_shows_the_order_and_why_the_invoice_does_not_match(
        client: TestClient, as_user: Any, moving_clock: MovableClock) -> None:
    iid, sku = _ordered_small(client, as_user)
    _receive(client, iid, sku, 5, as_user)
    _invoice(client, iid, sku, 5, "25.00", as_user)
    with transaction() as session:
        facts = dict(instance_facts(session.get_one(ProcessInstance, iid), None, Formatter("en"), lambda text: text))
    assert facts["Purchase order"] == f"{_order(iid)['number']} · CN¥92.50"
    assert facts["Ordered items"] == f"{sku} × 5 @ CN¥18.50"
    assert facts["Last goods receipt"].endswith(": 5 accepted, 0 rejected")
    assert facts["Invoice mismatches"] == f"{sku}: price differs (18.5 → 25); total: total differs (92.5 → 125)"


def test_mismatched_invoice_rejected_by_finance_waits_for_a_corrected_one(
        client: TestClient, as_user: Any, moving_clock: MovableClock) -> None:
    iid, sku = _ordered_small(client, as_user)
    _receive(client, iid, sku, 5, as_user)
    _invoice(client, iid, sku, 6, "18.50", as_user)  # one more than delivered
    _do(client, iid, "Activity_ReviewInvoice", as_user("finance"),
        {"invoice_decision": "reject", "review_comment": "only 5 delivered"})
    _invoice(client, iid, sku, 5, "18.50", as_user)
    assert _task(client, iid, as_user("finance"))["element_id"] == "Activity_PaySupplier"


# ---------------------------------------------------------------- the nightly reorder check


def _nightly_check() -> int:
    with transaction() as session:
        return runtime.start_instance(session=session, process_key="procurement", actor=NIGHTLY,
                                      start_timer=True).id


def test_nightly_check_with_nothing_below_the_reorder_point_ends(world: None) -> None:
    _nightly_check()  # whatever is below its reorder point now gets a request in this run
    second = _nightly_check()
    assert flow.instance_status(second) == "completed"
    assert flow.open_tasks(second) == []


def test_nightly_check_requests_items_below_their_reorder_point(world: None) -> None:
    sku = _item("5000.00", "4800.00", reorder_point="4")  # no stock: 4 short, reorder 10 -> 50,000
    iid = _nightly_check()
    mine = [r for r in _requests(iid) if r["sku"] == sku]
    assert [(r["source"], r["quantity"]) for r in mine] == [("reorder", Decimal("10.000"))]
    assert "Activity_ManagerApproval" in flow.open_tasks(iid)


# ---------------------------------------------------------------- shortage of a sales order


def _waiter_xml(key: str) -> str:
    """A stand-in for the sales side: waits for goods_received of its order number, then ships."""
    return HEADER + (
        f'<bpmn:collaboration id="Collab_{key}"><bpmn:participant id="P_{key}" processRef="{key}"/>'
        '<bpmn:correlationKey name="sales_order"><bpmn:correlationPropertyRef>order_number'
        "</bpmn:correlationPropertyRef></bpmn:correlationKey></bpmn:collaboration>"
        '<bpmn:message id="Message_GoodsReceived" name="goods_received"/>'
        '<bpmn:correlationProperty id="order_number" name="Order number">'
        '<bpmn:correlationPropertyRetrievalExpression messageRef="Message_GoodsReceived">'
        "<bpmn:formalExpression>order_number</bpmn:formalExpression></bpmn:correlationPropertyRetrievalExpression>"
        "</bpmn:correlationProperty>"
        f'<bpmn:process id="{key}" isExecutable="true">'
        '<bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>'
        '<bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Event_GoodsIn"/>'
        '<bpmn:intermediateCatchEvent id="Event_GoodsIn"><bpmn:incoming>Flow_1</bpmn:incoming>'
        '<bpmn:outgoing>Flow_2</bpmn:outgoing><bpmn:messageEventDefinition id="Def_GoodsIn" '
        'messageRef="Message_GoodsReceived"><bpmn:extensionElements><spiffworkflow:messageVariable>goods'
        "</spiffworkflow:messageVariable></bpmn:extensionElements></bpmn:messageEventDefinition>"
        "</bpmn:intermediateCatchEvent>"
        '<bpmn:sequenceFlow id="Flow_2" sourceRef="Event_GoodsIn" targetRef="Activity_Ship"/>'
        '<bpmn:userTask id="Activity_Ship"><bpmn:incoming>Flow_2</bpmn:incoming><bpmn:outgoing>Flow_3</bpmn:outgoing>'
        '</bpmn:userTask><bpmn:sequenceFlow id="Flow_3" sourceRef="Activity_Ship" targetRef="EndEvent_1"/>'
        '<bpmn:endEvent id="EndEvent_1"><bpmn:incoming>Flow_3</bpmn:incoming></bpmn:endEvent>'
        "</bpmn:process></bpmn:definitions>")


@pytest.fixture
def sales_waiter(world: None) -> str:
    """The stand-in's process key, deployed."""
    key = f"sales_waiter_{uuid.uuid4().hex[:6]}"
    flow.deploy_xml(f"{key}.bpmn", _waiter_xml(key))
    return key


def _sales_order(sku: str, quantity: int) -> tuple[str, int]:
    """A sales order of quantity x sku; (number, id)."""
    with transaction() as session:
        item = session.scalars(select(Item).where(Item.sku == sku)).one()
        order = make_order(session, make_customer(session), (item, Decimal(quantity)))
        return order.number, order.id


def _shortage(client: TestClient, headers: Headers, sku: str, quantity: int, order: tuple[str, int]) -> int:
    """Announce the order's shortfall as lead-to-cash does; the procurement instance started."""
    number, order_id = order
    payload = {"order_number": number, "sales_order_id": order_id,
               "shortfall": [{"item_sku": sku, "quantity": quantity}], "origin_business_key": f"LTC-{number}"}
    resp = client.post("/api/v1/messages/purchase_request", headers=headers,
                       json={"correlation": {"order_number": number}, "payload": payload})
    assert resp.status_code == 200, resp.text
    assert resp.json()["started"] is True and resp.json()["element_id"] == "StartEvent_Shortage"
    return int(resp.json()["instance_id"])


def test_shortage_message_starts_a_request_for_the_sales_order(
        client: TestClient, as_user: Any, moving_clock: MovableClock) -> None:
    sku = _item("30.00", "28.00")
    number, order_id = _sales_order(sku, 4)
    iid = _shortage(client, as_user("admin"), sku, 4, (number, order_id))
    [request] = _requests(iid)
    assert (request["source"], request["sales_order_id"], request["quantity"]) == ("shortage", order_id, Decimal("4"))
    assert request["business_key"] == f"LTC-{number}"
    assert _task(client, iid, as_user("warehouse"))["element_id"] == "Activity_ReceiveGoods"


def test_goods_in_for_a_shortage_resume_the_waiting_sales_instance(
        client: TestClient, as_user: Any, moving_clock: MovableClock, sales_waiter: str) -> None:
    sku = _item("30.00", "28.00")
    number, order_id = _sales_order(sku, 4)
    waiting = flow.start(sales_waiter, {"order_number": number})
    iid = _shortage(client, as_user("admin"), sku, 4, (number, order_id))
    _receive(client, iid, sku, 4, as_user, rejected=1)
    assert flow.jobs_of(iid, "message") == [], "one item is still missing"
    _receive(client, iid, sku, 1, as_user)
    [job] = flow.jobs_of(iid, "message")
    expected = {"order_number": number, "purchase_order_number": _order(iid)["number"]}
    assert (job.payload["name"], job.payload["payload"]) == ("goods_received", expected)
    flow.run_due_jobs()
    assert flow.open_tasks(waiting) == ["Activity_Ship"]
    with transaction() as session:
        assert session.get_one(ProcessInstance, waiting).variables["goods"] == expected
    assert _task(client, iid, as_user("finance"))["element_id"] == "Activity_EnterSupplierInvoice"
