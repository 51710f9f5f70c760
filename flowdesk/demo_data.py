"""The demo at scale: master data (seeded, so every run makes the same), the business sense the simulation follows,
and `load_scaled_demo`, which seeds, deploys and simulates weeks of history.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain import clock
from domain.crm import service as crm
from domain.crm.models import ContactRole, CreditRating, Customer, CustomerTier, FollowUpChannel
from domain.crm.schemas import ContactCreate, CustomerCreate, FollowUpCreate
from domain.db import transaction
from domain.identity.models import User
from domain.inventory import service as inventory
from domain.inventory.models import Shipment, ShipmentLine, Warehouse
from domain.inventory.schemas import ItemCreate
from domain.procurement import orders
from domain.procurement import service as procurement
from domain.procurement.schemas import SupplierCreate
from domain.procurement.summaries import order_summary
from domain.sales.models import SalesOrder
from domain.service.returns import returned_quantities
from engine import deployment
from engine.models import HumanTask, ProcessInstance, TaskStatus
from flowdesk import demo
from flowdesk.simulate import Facts, Knowledge, MessagePolicy, Plan, Simulator


@dataclass(frozen=True)
class Scale:
    """How big the demo is."""

    customers: int
    items: int
    suppliers: int
    weeks: int
    instances: int  # started by hand or by message over the weeks (timer starts come on top)


SIZES = {
    "full": Scale(customers=300, items=60, suppliers=12, weeks=6, instances=360),
    "small": Scale(customers=30, items=12, suppliers=4, weeks=4, instances=48),
}
SEED = 20261124
REGIONS = {
    "east": ["杭州", "上海", "南京", "苏州", "宁波", "合肥"],
    "south": ["深圳", "广州", "厦门", "东莞", "佛山", "长沙"],
    "north": ["北京", "天津", "沈阳", "济南", "青岛", "郑州"],
    "west": ["成都", "重庆", "西安", "昆明", "兰州", "武汉"],
}
PINYIN = {
    "杭州": "Hangzhou", "上海": "Shanghai", "南京": "Nanjing", "苏州": "Suzhou", "宁波": "Ningbo", "合肥": "Hefei",
    "深圳": "Shenzhen", "广州": "Guangzhou", "厦门": "Xiamen", "东莞": "Dongguan", "佛山": "Foshan",
    "长沙": "Changsha", "北京": "Beijing", "天津": "Tianjin", "沈阳": "Shenyang", "济南": "Jinan",
    "青岛": "Qingdao", "郑州": "Zhengzhou", "成都": "Chengdu", "重庆": "Chongqing", "西安": "Xi'an",
    "昆明": "Kunming", "兰州": "Lanzhou", "武汉": "Wuhan",
}
BRANDS_ZH = ["星河", "华通", "远航", "启明", "宏达", "金桥", "恒信", "瑞丰", "天成", "博远", "新源", "鼎盛",
             "永安", "华晟", "中联", "海纳", "盛世", "东方", "长城", "万通"]
BRANDS_EN = ["Bright", "Northwind", "Summit", "Harbor", "Pioneer", "Evergreen", "Silver Bay", "Golden Gate",
             "Red River", "Blue Ocean", "Jade", "Phoenix", "Dragon Peak", "Pearl", "Crown"]
INDUSTRIES = {"machinery": ("机电", "Machinery"), "electronics": ("电子科技", "Electronics"),
              "chemicals": ("化工", "Chemicals"), "food": ("食品机械", "Food Equipment"),
              "logistics": ("物流", "Logistics"), "medical": ("医疗器械", "Medical Devices"),
              "construction": ("建设工程", "Construction"), "automotive": ("汽车零部件", "Auto Parts")}
SUFFIX_ZH = ["有限公司", "股份有限公司", "科技有限公司"]
SUFFIX_EN = ["Co., Ltd.", "Ltd.", "Group", "Industrial Co."]
SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"]
GIVEN = ["伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "杰", "涛", "明"]
TITLES = {ContactRole.DECISION_MAKER: "General manager", ContactRole.TECHNICAL: "Chief engineer",
          ContactRole.FINANCE: "Finance manager", ContactRole.RECEIVING: "Warehouse lead"}
ITEM_FAMILIES = [  # sku prefix, name, unit, cost range, typical order size
    ("PUMP", "Centrifugal pump {} L/min", "pcs", (900, 4000), 6),
    ("VALVE", "Ball valve DN{} stainless", "pcs", (40, 300), 40),
    ("MOTOR", "Motor {} kW IE3", "pcs", (1500, 9000), 4), ("SENSOR", "Pressure sensor {} bar", "pcs", (150, 800), 20),
    ("CABLE", "Signal cable {} m", "pcs", (8, 60), 100), ("BEARING", "Ball bearing 62{}", "pcs", (12, 90), 80),
    ("GEAR", "Gearbox ratio 1:{}", "pcs", (1200, 6000), 3), ("PLC", "PLC controller {} I/O", "pcs", (800, 5000), 5),
    ("FILTER", "Filter cartridge {} µm", "pcs", (20, 150), 60), ("HOSE", "Hydraulic hose DN{}", "m", (10, 80), 120),
]
CARRIERS = ["SF Express", "顺丰速运", "JD Logistics", "DHL", "Deppon 德邦", "ZTO 中通"]


# ---------------------------------------------------------------- master data


def _company(rng: random.Random, used: set[str]) -> tuple[str, str, str]:
    """A unique company name with its region and industry."""
    while True:
        region = rng.choice(list(REGIONS))
        city = rng.choice(REGIONS[region])
        industry = rng.choice(list(INDUSTRIES))
        zh, en = INDUSTRIES[industry]
        if rng.random() < 0.6:
            name = f"{city}{rng.choice(BRANDS_ZH)}{zh}{rng.choice(SUFFIX_ZH)}"
        else:
            name = f"{PINYIN[city]} {rng.choice(BRANDS_EN)} {en} {rng.choice(SUFFIX_EN)}"
        if name not in used:
            used.add(name)
            return name, region, industry


def seed_customers(session: Session, rng: random.Random, count: int, owners: list[str], since: datetime) -> list[Any]:
    """count customers with contacts; most have a recent follow-up, some none for months (the pool rule finds them)."""
    used: set[str] = set()
    customers = []
    for _ in range(count):
        name, region, industry = _company(rng, used)
        tier = rng.choices(list(CustomerTier), weights=[1, 3, 8])[0]
        rating = rng.choices(list(CreditRating), weights=[4, 5, 2, 1])[0]
        limit = {CustomerTier.STRATEGIC: 2_000_000, CustomerTier.KEY: 600_000, CustomerTier.REGULAR: 150_000}[tier]
        limit = int(limit * rng.choice([0.5, 0.75, 1, 1.5]) * {"A": 1.2, "B": 1, "C": 0.6, "D": 0.3}[rating.value])
        customer = crm.create_customer(session=session, data=CustomerCreate(
            name=name, tier=tier, credit_rating=rating, credit_limit=Decimal(limit), region=region,
            industry=industry, payment_terms_days=rng.choice([30, 30, 45, 60, 90]), owner=rng.choice(owners),
            sales_team="sales"))
        for role in rng.sample(list(ContactRole), rng.randint(1, 3)):
            crm.add_contact(session=session, customer_id=customer.id, data=ContactCreate(
                name=_person(rng), title=TITLES[role], roles=[role], phone=_phone(rng),
                email=f"contact{customer.id}.{role.value}@example.com"))
        _follow_up(session, rng, customer.code, customer.owner or "sales", since)
        customers.append(customer)
    return customers


def _follow_up(session: Session, rng: random.Random, code: str, owner: str, since: datetime) -> None:
    roll = rng.random()
    if roll < 0.08:
        return  # never followed up: pooled in the first simulated week
    weeks = rng.uniform(0, 4) if roll < 0.2 else rng.uniform(8, 12)  # early ones fall due for the pool during the demo
    crm.record_follow_up(session=session, by=owner, data=FollowUpCreate(
        customer_code=code, channel=rng.choice(list(FollowUpChannel)), note="Regular account review",
        at=since + timedelta(weeks=weeks)))


def seed_items(session: Session, rng: random.Random, count: int, warehouse: Warehouse) -> list[Any]:
    """count items with replenishment settings and opening stock: most healthy, some under the reorder point, a few
    out of stock."""
    items = []
    for n in range(count):
        prefix, pattern, unit, (low, high), order = ITEM_FAMILIES[n % len(ITEM_FAMILIES)]
        size = rng.choice([10, 16, 25, 32, 40, 50, 63, 80, 100, 125])
        cost = Decimal(rng.randint(low, high)).quantize(Decimal("0.01"))
        reorder_point = Decimal(order * rng.randint(2, 4))
        item = inventory.create_item(session=session, data=ItemCreate(
            sku=f"{prefix}-{300 + n}", name=pattern.format(size), unit=unit, unit_cost=cost,
            list_price=(cost * Decimal(rng.uniform(1.25, 1.8))).quantize(Decimal("1")),
            safety_stock=reorder_point / 2, reorder_point=reorder_point, reorder_quantity=Decimal(order * 10),
            lead_time_days=rng.choice([5, 7, 10, 14, 21])))
        roll = rng.random()
        stock = 0 if roll < 0.08 else reorder_point * Decimal(rng.uniform(0.3, 0.9)) if roll < 0.25 else \
            reorder_point * rng.randint(3, 8)
        if int(stock) > 0:
            inventory.receive_stock(session=session, item_id=item.id, warehouse_id=warehouse.id,
                                    quantity=Decimal(int(stock)), reference="opening balance", actor="admin")
        items.append(item)
    return items


def seed_suppliers(session: Session, rng: random.Random, count: int, items: list[Any]) -> list[Any]:
    """count suppliers, each offering part of the items near their cost; every item has at least one supplier."""
    suppliers = []
    used: set[str] = set()
    for n in range(count):
        name, _, _ = _company(rng, used)
        suppliers.append(procurement.create_supplier(session=session, data=SupplierCreate(
            code=f"VND-{n + 1:03d}", name=name, currency="CNY", lead_time_days=rng.choice([5, 7, 10, 14]),
            payment_terms_days=rng.choice([30, 45, 60]), email=f"orders@vnd{n + 1:03d}.example.com")))
    for index, item in enumerate(items):
        offering = {suppliers[index % count].id} | {s.id for s in rng.sample(suppliers, min(count, rng.randint(0, 2)))}
        for supplier_id in sorted(offering):
            price = (item.unit_cost * Decimal(rng.uniform(0.85, 1.1))).quantize(Decimal("0.01"))
            procurement.set_supplier_item(session=session, supplier_id=supplier_id, item_id=item.id, unit_price=price)
    return suppliers


# ---------------------------------------------------------------- business sense for the simulation


def _pick(key: str) -> Any:
    return lambda rng, facts, siblings: rng.choice(facts[key])["code"] if facts.get(key) else None


def _quantity(rng: random.Random, facts: Facts, siblings: dict[str, Any]) -> Any:
    item = facts.get("item_by_sku", {}).get(siblings.get("item_sku") or siblings.get("sku"))
    order = item["order"] if item else 5
    return Decimal(max(1, int(order * rng.choice([0.3, 0.5, 1, 1, 2, 4]))))


def _unit_price(rng: random.Random, facts: Facts, siblings: dict[str, Any]) -> Any:
    item = facts.get("item_by_sku", {}).get(siblings.get("item_sku") or siblings.get("sku"))
    return item["price"] if item else None


def _amount_due(facts: Facts) -> Decimal | None:
    """The open amount of the instance's invoice, wherever the process keeps it."""
    for key in ("invoice", "customer_invoice"):
        invoice = facts.get(key)
        if isinstance(invoice, dict):
            for field in ("open_amount", "amount_due", "total", "amount"):
                if invoice.get(field) is not None:
                    return Decimal(str(invoice[field]))
    return None


def _paid(rng: random.Random, facts: Facts) -> dict[str, Any]:
    """The customer's bank transfer: mostly the open amount, now and then only part of it."""
    due = _amount_due(facts)
    if due is None:
        return {}
    if rng.random() < 0.1:
        due = (due / 2).quantize(Decimal("0.01"))
    return {"amount": due, "paid_on": facts["now"].date().isoformat(), "reference": f"BANK-{rng.randint(10**5, 10**6)}"}


def _num(value: Any) -> Decimal:
    return Decimal(str(value))


def _customer_shipments(facts: Facts) -> list[ShipmentLine]:
    """Shipped lines of the instance's customer (newest first): what a return can refer to."""
    session, code = facts.get("session"), facts.get("customer_code")
    if session is None or not code:
        return []
    return list(session.scalars(
        select(ShipmentLine).join(Shipment).join(SalesOrder, SalesOrder.id == Shipment.sales_order_id)
        .join(Customer, Customer.id == SalesOrder.customer_id).where(Customer.code == code)
        .order_by(ShipmentLine.id.desc()).limit(5)))


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.5 else "")


def _phone(rng: random.Random) -> str:
    return f"+86 1{rng.randint(30, 99)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"


def _lead_start(rng: random.Random, facts: Facts) -> dict[str, Any]:
    """Most leads come from existing customers; the others are new companies with a contact."""
    new_company = ("company_name", "contact_name", "region", "industry", "phone", "email")
    if facts.get("customers") and rng.random() < 0.65:
        return {"customer_code": rng.choice(facts["customers"])["code"], **dict.fromkeys(new_company)}
    name, region, industry = _company(rng, set())
    return {"customer_code": "", "company_name": name, "contact_name": _person(rng), "region": region,
            "industry": industry, "phone": _phone(rng), "email": f"buyer{rng.randint(1, 9999)}@example.com"}


def _ticket_start(rng: random.Random, facts: Facts) -> dict[str, Any]:
    """Most tickets come from customers who bought something (so a return is possible)."""
    session = facts.get("session")
    if session is None or rng.random() < 0.3:
        return {}
    codes = list(session.scalars(select(Customer.code).join(SalesOrder, SalesOrder.customer_id == Customer.id)
                                 .join(Shipment, Shipment.sales_order_id == SalesOrder.id).distinct()))
    return {"customer_code": rng.choice(codes)} if codes else {}


def _triage(rng: random.Random, facts: Facts) -> dict[str, Any]:
    routes = {"remote": 5, "technician": 3, "return": 4 if _customer_shipments(facts) else 0}
    return {"route": rng.choices(list(routes), weights=list(routes.values()))[0]}


def _authorize_return(rng: random.Random, facts: Facts) -> dict[str, Any]:
    lines = _customer_shipments(facts)
    returned = returned_quantities(session=facts["session"], shipment_line_ids=[x.id for x in lines]) if lines else {}
    left = [(line, line.quantity - returned.get(line.id, Decimal(0))) for line in lines]
    line, quantity = next(((line, q) for line, q in left if q >= 1), (None, Decimal(0)))
    if line is None:
        return {}
    return {"shipment_id": line.shipment_id, "remedy": rng.choice(["refund", "refund", "replacement"]),
            "return_lines": [{"shipment_line_id": line.id, "reason": rng.choice(["defective", "damaged in transport"]),
                              "quantity": max(Decimal(1), (quantity / 2).to_integral_value(rounding=ROUND_DOWN))}]}


def _inspect_return(rng: random.Random, facts: Facts) -> dict[str, Any]:
    lines = (facts.get("rma") or {}).get("lines") or []
    results = [rng.choices([("ok", "restock"), ("damaged", "scrap"), ("defective", "scrap")], weights=[6, 2, 2])[0]
               for _ in lines]
    return {"inspection": [{"line_id": line["line_id"], "result": result, "disposition": disposition}
                           for line, (result, disposition) in zip(lines, results, strict=True)]} if lines else {}


def _visit_report(rng: random.Random, facts: Facts) -> dict[str, Any]:
    return {"parts": []}  # parts used on site would need their stock and warehouse: the demo keeps it simple


def _po_lines(facts: Facts) -> list[dict[str, Any]]:
    """The instance's purchase order lines as they are now (open quantities change with each receipt)."""
    order, session = facts.get("purchase_order") or {}, facts.get("session")
    if session is not None and order.get("id"):
        return list(order_summary(orders.get_purchase_order(session=session, order_id=int(order["id"])))["lines"])
    return list(order.get("lines") or [])


def _receive_goods(rng: random.Random, facts: Facts) -> dict[str, Any]:
    lines = _po_lines(facts)
    received = [{"item_sku": line["item_sku"], "quantity": _num(line["open_qty"])}
                for line in lines if _num(line.get("open_qty", 0)) > 0]
    return {"received_lines": received} if received else {}


def _inspect_goods(rng: random.Random, facts: Facts) -> dict[str, Any]:
    received = facts.get("received_lines") or []
    if not received or rng.random() < 0.8:
        return {"rejections": []}
    first = received[0]
    return {"rejections": [{"item_sku": first["item_sku"], "quantity": max(Decimal(1), _num(first["quantity"]) / 10)
                            .to_integral_value()}], "inspection_note": "Some units scratched"}


def _supplier_invoice(rng: random.Random, facts: Facts) -> dict[str, Any]:
    lines = _po_lines(facts)
    markup = Decimal("1.08") if rng.random() < 0.15 else Decimal(1)  # now and then a price that does not match
    return {"invoice_lines": [{"item_sku": line["item_sku"], "quantity": _num(line["quantity"]),
                               "unit_price": (_num(line["unit_price"]) * markup).quantize(Decimal("0.01"))}
                              for line in lines]} if lines else {}


def _technician(rng: random.Random, facts: Facts, siblings: dict[str, Any]) -> Any:
    users = facts.get("users") or {}
    names = sorted(n for n, groups in users.items() if "field_service" in groups) or \
        sorted(n for n, groups in users.items() if "service" in groups)
    return rng.choice(names) if names else None


def knowledge(facts: Facts) -> Knowledge:
    """What people and customers do in the demo, by field, element and message; the schema decides the rest."""
    words = lambda *options: (lambda rng, facts, siblings: rng.choice(options))  # noqa: E731
    return Knowledge(
        facts=facts,
        hints={
            "customer_code": _pick("customers"), "item_sku": _pick("items"), "sku": _pick("items"),
            "supplier_code": _pick("suppliers"), "technician": _technician, "quantity": _quantity,
            "amount": lambda rng, facts, siblings: _amount_due(facts),
            "unit_price": _unit_price,
            "discount_pct": words(Decimal(0), Decimal(0), Decimal(2), Decimal(5)),
            "carrier": words(*CARRIERS), "tracking_number": lambda rng, f, s: f"SF{rng.randint(10**9, 10**10 - 1)}",
            "reference": lambda rng, f, s: f"BANK-{rng.randint(100000, 999999)}",
            "lead_title": words("Spare parts for line 2", "New plant equipment", "Annual maintenance stock",
                                "Pump replacement project", "Automation upgrade", "二期工程设备采购"),
            "score": lambda rng, f, s: rng.choices(range(11), weights=[1, 1, 1, 1, 2, 3, 4, 8, 12, 10, 8])[0],
            "region": words(*REGIONS), "industry": words(*INDUSTRIES), "phone": lambda rng, f, s: _phone(rng),
            "contact_name": lambda rng, f, s: _person(rng),
            "company_name": lambda rng, f, s: _company(rng, set())[0],
            "valid_days": words(7, 14, 14, 30, 30),
            "expected_delivery": lambda rng, f, s: (clock.now() + timedelta(days=rng.randint(1, 4))).date().isoformat(),
            "subject": words("Pump leaking at the seal", "Motor overheats", "Sensor shows wrong pressure",
                             "Wrong item delivered", "设备无法启动", "Damaged in transport"),
        },
        choices={
            "decision": {"approve": 8, "approved": 8, "reject": 2, "rejected": 2},
            "qualified": {True: 85, False: 15}, "budget_confirmed": {True: 7, False: 3},
            "source": {"web": 4, "referral": 3, "trade_show": 2, "phone": 2, "other": 1},
            "outcome": {"reassigned": 5, "partly_reassigned": 3, "left_in_pool": 2},
            "priority": {"P1": 1, "P2": 3, "P3": 5, "P4": 2},
            "disposition": {"restock": 5, "repair": 3, "scrap": 2}, "result": {"ok": 6, "damaged": 2, "defective": 2},
            "accepted": {True: 8, False: 2}, "follow_up_outcome": {"requote": 6, "close": 4},
            "invoice_decision": {"accept": 8, "reject": 2}, "remedy": {"refund": 6, "replacement": 4},
            "route": {"remote": 5, "technician": 3, "return": 2}, "channel": {"phone": 4, "email": 4, "web": 3,
                                                                             "wechat": 3, "on_site": 1},
        },
        elements={
            "lead_to_cash": _lead_start, "after_sales": _ticket_start, "Activity_TriageTicket": _triage,
            "Activity_AuthorizeReturn": _authorize_return, "Activity_InspectReturn": _inspect_return,
            "Activity_RecordVisit": _visit_report,
            "Activity_ReceiveGoods": _receive_goods, "Activity_InspectGoods": _inspect_goods,
            "Activity_EnterSupplierInvoice": _supplier_invoice,
        },
        delays={  # working hours until someone acts; the default is a few hours to two days
            "Activity_FirstContact": (0.2, 3), "Activity_QualifyLead": (2, 16), "Activity_DirectorApproval": (1, 12),
            "Activity_CustomerAcceptance": (4, 120), "Activity_RecordPayment": (16, 120),
            "Activity_ReviewPool": (4, 80), "Activity_PaySupplier": (8, 80),
            "Activity_TriageTicket": (0.2, 4), "Activity_FirstResponse": (0.5, 6), "Activity_ResolveRemotely": (2, 24),
            "Activity_ScheduleVisit": (1, 8), "Activity_RecordVisit": (4, 40),
            "Activity_HandleResponseBreach": (1, 8), "Activity_HandleResolutionBreach": (1, 8),
        },
        messages={
            "payment_received": MessagePolicy(chance=0.85, hours=(2 * 24, 25 * 24), payload=_paid),
            "survey_answered": MessagePolicy(chance=0.6, hours=(4, 96), payload=lambda rng, facts: {
                "score": rng.choices(range(11), weights=[1, 1, 1, 1, 2, 3, 4, 8, 12, 10, 8])[0]}),
        },
        start_weights={"lead_to_cash": 5, "after_sales": 3, "procurement": 1},
    )


def facts_of(customers: list[Any], items: list[Any], stock: dict[int, Decimal], suppliers: list[Any]) -> Facts:
    """Master data the simulation's hints draw from."""
    item_facts = [{"code": i.sku, "price": i.list_price, "order": max(1, int(i.reorder_quantity / 10)),
                   "stock": stock.get(i.id, Decimal(0))} for i in items]
    return {"customers": [{"code": c.code, "tier": c.tier} for c in customers], "items": item_facts,
            "item_by_sku": {i["code"]: i for i in item_facts}, "suppliers": [{"code": s.code} for s in suppliers]}


# ---------------------------------------------------------------- the whole demo


def load_scaled_demo(size: str = "full") -> Iterator[str]:
    """Users, master data, the processes, and weeks of simulated work; once (a second run finds the users)."""
    scale = SIZES[size]
    rng = random.Random(SEED)
    end = clock.now().replace(second=0, microsecond=0)
    start = end - timedelta(weeks=scale.weeks)
    moment = [start - timedelta(weeks=12)]  # master data exists well before the simulated weeks
    clock.set_clock(lambda: moment[0])
    try:
        with transaction() as session:
            if session.scalar(select(User.id).where(User.username == "admin")) is not None:
                yield "demo data already present: nothing to do"
                return
            demo.seed_users(session)
            yield f"users: {', '.join(demo.DEMO_USERS)} (password '{demo.DEMO_PASSWORD}', for the demo only)"
            demo.seed_master_data(session)
            warehouse = session.scalars(select(Warehouse).where(Warehouse.code == "WH-MAIN")).one()
            owners = sorted(n for n, groups in demo.DEMO_USERS.items() if groups == ["sales"]) or ["sales"]
            customers = seed_customers(session, rng, scale.customers, owners, moment[0])
            items = seed_items(session, rng, scale.items, warehouse)
            suppliers = seed_suppliers(session, rng, scale.suppliers, items)
            stock = {i.id: inventory.available(session=session, item_id=i.id) for i in items}
            yield (f"{len(customers)} customers with contacts, {len(items)} items with stock in WH-MAIN, "
                   f"{len(suppliers)} suppliers (plus the {len(demo.CUSTOMERS)} fixed customers and items)")
            moment[0] = start
            for result in deployment.deploy(session=session, files=demo.process_bundle(), actor="owner"):
                yield f"deployed {result.definition.key} v{result.definition.version}"
            facts = facts_of(customers, items, stock, suppliers)
    finally:
        clock.reset_clock()
    yield f"simulating {scale.weeks} weeks from {start:%Y-%m-%d} ..."
    report = Simulator(Plan(start=start, end=end, instances=scale.instances, seed=SEED), knowledge(facts)).run()
    yield from report.lines()
    with transaction() as session:
        yield from summary(session)


def summary(session: Session) -> Iterator[str]:
    """What the demo left: instances by process and status, open tasks by step."""
    rows = session.execute(select(ProcessInstance.process_key, ProcessInstance.status, func.count())
                           .group_by(ProcessInstance.process_key, ProcessInstance.status)).all()
    by_key: dict[str, dict[str, int]] = {}
    for key, status, count in rows:
        by_key.setdefault(key, {})[str(status)] = count
    steps = session.execute(select(ProcessInstance.process_key, func.count(func.distinct(HumanTask.element_id)),
                                   func.count()).join(HumanTask, HumanTask.instance_id == ProcessInstance.id)
                            .where(HumanTask.status == TaskStatus.OPEN).group_by(ProcessInstance.process_key))
    open_steps = {key: (elements, tasks) for key, elements, tasks in steps}
    for key, statuses in sorted(by_key.items()):
        elements, tasks = open_steps.get(key, (0, 0))
        states = ", ".join(f"{n} {status}" for status, n in sorted(statuses.items()))
        yield f"{key}: {sum(statuses.values())} instances ({states}); {tasks} open tasks in {elements} steps"
