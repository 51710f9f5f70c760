"""Demo data: users (password 'demo'), customers, items, stock, the processes, and instances in flight.

Idempotent: a second run finds the demo users and changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.crm import service as crm
from domain.crm.schemas import CustomerCreate
from domain.db import transaction
from domain.identity import service as identity
from domain.identity.models import User
from domain.inventory import service as inventory
from domain.inventory.schemas import ItemCreate, WarehouseCreate
from domain.procurement import service as procurement
from domain.procurement.schemas import SupplierCreate
from engine import deployment, runtime
from engine.bundle import BundleFile

PROCESSES_DIR = Path(__file__).resolve().parent.parent / "processes"
DEMO_PASSWORD = "demo"  # for the demo only: README says so
DEMO_USERS: dict[str, list[str]] = {
    "sales": ["sales"],
    "li_na": ["sales"],  # lead owners picked by processes/decisions/lead_assignment.dmn (east)
    "wang_wei": ["sales"],  # south
    "chen_jie": ["sales"],  # north
    "director": ["sales_management", "sales"],
    "warehouse": ["warehouse"],
    "finance": ["finance"],
    "zhao_min": ["finance_management", "finance"],  # finance manager: overdue invoices reach her
    "buyer": ["purchasing"],
    "purchasing.manager": ["purchasing_management", "purchasing"],
    "quality": ["quality"],
    "service": ["service"],
    "service_manager": ["service_management", "service"],
    "technician": ["field_service"],
    "owner": ["process_owner"],
    "auditor": ["auditor"],
    "manager": ["manager"],
    "admin": ["admin"],
}
CUSTOMERS = [
    ("C-HZ-001", "杭州星河机电有限公司", "strategic", "2000000", 60),
    ("C-SZ-002", "Shenzhen Bright Optics Co.", "key", "800000", 45),
    ("C-SH-003", "上海启明自动化", "regular", "200000", 30),
    ("C-BJ-004", "Beijing Northwind Trading", "regular", "150000", 30),
    ("C-GZ-005", "广州远航包装材料", "key", "500000", 30),
]
ITEMS = [
    ("PUMP-100", "Centrifugal pump 100 L/min", "pcs", "1800.00", "2600.00", 120),
    ("VALVE-25", "Ball valve DN25 stainless", "pcs", "85.00", "140.00", 900),
    ("MOTOR-7K", "Motor 7.5 kW IE3", "pcs", "4200.00", "6100.00", 40),
    ("SENSOR-P", "Pressure sensor 0-16 bar", "pcs", "310.00", "520.00", 300),
    ("CABLE-5M", "Signal cable 5 m", "pcs", "12.50", "24.00", 2000),
]
# code, name, lead time (days), {sku: unit price}
SUPPLIERS = [
    ("S-NB-01", "宁波海天泵阀有限公司", 10, {"PUMP-100": "1750.00", "VALVE-25": "82.00"}),
    ("S-SZ-02", "Suzhou Motion Parts Co.", 14, {"MOTOR-7K": "4150.00", "SENSOR-P": "300.00", "CABLE-5M": "12.00"}),
]


def process_bundle(directory: Path = PROCESSES_DIR) -> list[BundleFile]:
    """Every BPMN, DMN and form file under processes/."""
    paths = [*sorted(directory.glob("*.bpmn")), *sorted((directory / "decisions").glob("*.dmn")),
             *sorted((directory / "forms").glob("*.json"))]
    return [BundleFile.from_path(p) for p in paths]


def seed_users(session: Session, password: str = DEMO_PASSWORD) -> None:
    """The demo users, one per role."""
    for name, groups in DEMO_USERS.items():
        if identity.get_by_username(session=session, username=name) is None:
            identity.create_user(session=session, username=name, password=password, groups=groups,
                                 locale="zh_Hans_CN" if name == "manager" else None)


def seed_master_data(session: Session) -> None:
    """Customers, items, one warehouse, opening stock (through ledger moves) and suppliers with prices."""
    warehouse = inventory.create_warehouse(session=session, data=WarehouseCreate(code="WH-MAIN", name="Main warehouse"))
    for code, name, tier, limit, terms in CUSTOMERS:
        crm.create_customer(session=session, data=CustomerCreate(
            code=code, name=name, tier=tier, credit_limit=Decimal(limit), payment_terms_days=terms, owner="sales"))
    for sku, name, unit, cost, price, opening in ITEMS:
        item = inventory.create_item(session=session, data=ItemCreate(
            sku=sku, name=name, unit=unit, unit_cost=Decimal(cost), list_price=Decimal(price)))
        inventory.receive_stock(session=session, item_id=item.id, warehouse_id=warehouse.id,
                                quantity=Decimal(opening), reference="opening balance", actor="admin")
    for code, name, lead_time, prices in SUPPLIERS:
        supplier = procurement.create_supplier(session=session, data=SupplierCreate(
            code=code, name=name, lead_time_days=lead_time, currency="CNY"))
        for sku, price in prices.items():
            procurement.set_supplier_item(session=session, supplier_id=supplier.id,
                                          item_id=inventory.get_item_by_sku(session=session, sku=sku).id,
                                          unit_price=Decimal(price))


def _start_leads(session: Session, count: int) -> Iterator[str]:
    sales = runtime.Actor("sales", {"sales"})
    for n in range(count):
        code = CUSTOMERS[n % len(CUSTOMERS)][0]
        inst = runtime.start_instance(session=session, process_key="lead_to_cash", actor=sales, variables={
            "customer_code": code, "lead_title": f"Demo lead {n + 1}", "source": "web"})
        stage = n % 3
        if stage >= 1:
            for data in ({"channel": "phone", "contact_note": "demo"},
                         {"qualified": True, "budget_confirmed": True, "notes": "demo"}):  # first contact, qualify
                task = runtime.next_task_for(session=session, instance_id=inst.id, actor=sales)
                assert task is not None
                runtime.complete_task(session=session, task_id=task.id, actor=sales, data=data)
        if stage >= 2:
            task = runtime.next_task_for(session=session, instance_id=inst.id, actor=sales)
            assert task is not None
            qty = Decimal(10 + 30 * n)
            runtime.complete_task(session=session, task_id=task.id, actor=sales, data={
                "lines": [{"item_sku": "PUMP-100", "quantity": qty}], "valid_days": 30})
        yield f"lead-to-cash {inst.business_key} started (stage {stage})"


def load_demo(instances: int = 6, size: str | None = None) -> Iterator[str]:
    """Load everything the demo needs, once. With a size: master data at scale and weeks of simulated history."""
    if size is not None:
        from flowdesk.demo_data import load_scaled_demo

        yield from load_scaled_demo(size)
        return
    with transaction() as session:
        if session.scalar(select(User.id).where(User.username == "admin")) is not None:
            yield "demo data already present: nothing to do"
            return
        seed_users(session)
        yield f"users: {', '.join(DEMO_USERS)} (password '{DEMO_PASSWORD}', for the demo only)"
        seed_master_data(session)
        yield f"{len(CUSTOMERS)} customers, {len(ITEMS)} items with opening stock"
        for result in deployment.deploy(session=session, files=process_bundle(), actor="owner"):
            yield f"deployed {result.definition.key} v{result.definition.version}"
        yield from _start_leads(session, instances)
