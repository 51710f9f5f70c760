"""The chain across processes, as the firm runs it: a sale short of stock starts purchasing by itself, and the goods
received by procurement let the sale ship. Both real diagrams (lead_to_cash and procurement), through the API.

Walkthrough: `li_na` sells 25 pumps with 10 in stock; the order reserves 10 and sends `purchase_request`;
procurement opens a request for the 15 missing, `purchasing.manager` approves it (its value needs one approval),
the supplier gets the order, `warehouse` receives the 15 and `quality` passes them; procurement sends
`goods_received`, the sale reserves the rest and `warehouse` ships all 25.
"""

# ruff: noqa: F811 - the fixtures imported from test_lead_to_cash are used as parameters
from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import select

from domain.db import transaction
from domain.inventory.models import StockBalance, Warehouse
from domain.procurement.models import PurchaseRequest
from engine.models import ProcessDefinition, ProcessInstance
from tests import flow
from tests.factories import make_customer, make_item, receive
from tests.processes.test_lead_to_cash import Desk, api, desk  # noqa: F401 - fixtures
from tests.procurement_factories import make_supplier


def _stocked_item_with_supplier(on_hand: str) -> tuple[str, str, int, int]:
    """(customer code, item sku, item id, warehouse id): a customer, and a pump with on_hand in the first warehouse
    (where purchase orders deliver) that a supplier offers."""
    with transaction() as session:
        customer = make_customer(session, name=f"Chain {uuid.uuid4().hex[:6]}", tier="strategic",
                                 credit_rating="A", credit_limit=Decimal("5000000.00"), region="east",
                                 industry="machinery", owner="wang_wei")
        item = make_item(session, sku=f"CHAIN-{uuid.uuid4().hex[:8]}", name="Pump", unit_cost=Decimal("1800.00"),
                         list_price=Decimal("2600.00"))
        warehouse = session.scalars(select(Warehouse).order_by(Warehouse.id).limit(1)).one()
        receive(session, item, warehouse, on_hand)
        make_supplier(session, (item, "1500.00"), currency="CNY")
        return customer.code, item.sku, item.id, warehouse.id


def _procurement_for(order_number: str) -> int:
    with transaction() as session:
        started = session.scalars(select(ProcessInstance).join(ProcessDefinition).where(
            ProcessDefinition.key == "procurement").order_by(ProcessInstance.id.desc()).limit(20))
        [iid] = [i.id for i in started if (i.variables or {}).get("order_number") == order_number]
        return iid


def _stock(item_id: int, warehouse_id: int) -> tuple[Decimal, Decimal]:
    with transaction() as session:
        row = session.scalars(select(StockBalance).where(StockBalance.item_id == item_id,
                                                         StockBalance.warehouse_id == warehouse_id)).one()
        return row.on_hand, row.reserved


def test_a_shortage_starts_procurement_and_its_goods_let_the_sale_ship(desk: Desk) -> None:
    code, sku, item_id, warehouse_id = _stocked_item_with_supplier("10")
    sale = desk.start(code)
    desk.qualify(sale)
    desk.quote(sale, sku, 25)
    desk.accept(sale)
    order_number = desk.variables(sale)["sales_order"]["number"]
    assert desk.tasks(sale) == [] and _stock(item_id, warehouse_id) == (Decimal("10"), Decimal("10"))

    flow.run_due_jobs()  # the purchase_request message leaves after the sale's step committed
    buying = _procurement_for(order_number)
    with transaction() as session:
        [request] = session.scalars(select(PurchaseRequest).where(PurchaseRequest.sales_order_id.is_not(None),
                                                                  PurchaseRequest.business_key
                                                                  == desk.instance(sale)["business_key"]))
        assert (request.item.sku, request.quantity, request.source.value) == (sku, Decimal("15"), "shortage")
    desk.complete(buying, "Activity_ManagerApproval", "purchasing.manager", {"decision": "approve"})
    desk.complete(buying, "Activity_ReceiveGoods", "warehouse", {
        "received_lines": [{"item_sku": sku, "quantity": 15}], "received_on": desk.clock.now.date().isoformat()})
    desk.complete(buying, "Activity_InspectGoods", "quality", {"rejections": [], "inspection_note": ""})
    assert desk.tasks(sale) == [], "the answer is a job of its own, after procurement's step committed"

    flow.run_due_jobs()
    assert desk.tasks(sale) == ["Activity_ShipOrder"]
    assert _stock(item_id, warehouse_id) == (Decimal("25"), Decimal("25"))
    desk.ship(sale)
    assert _stock(item_id, warehouse_id) == (Decimal("0"), Decimal("0"))
    assert desk.tasks(buying) == ["Activity_EnterSupplierInvoice"], "procurement goes on to the supplier invoice"
