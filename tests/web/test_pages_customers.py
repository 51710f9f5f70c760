"""Customer pages: the filtered list, the 360-degree page, leads, opportunities and the customer import."""

from __future__ import annotations

import html
import json
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from domain.crm import pipeline
from domain.crm.models import Customer
from domain.db import transaction
from tests.factories import make_customer
from tests.factories_crm import make_account, make_lead
from tests.web.conftest import Browser
from web.pages import customers as customer_pages


@pytest.fixture
def account(world: None) -> dict[str, Any]:
    """A committed customer with contacts, pipeline, a follow-up, a quote and a half-shipped order: codes by name."""
    with transaction() as session:
        made = make_account(session, tier="key", credit_rating="C", region="east", owner="sales")
        return {"code": made["customer"].code, "name": made["customer"].name, "tag": made["tag"],
                "quote": made["quote"].number, "order": made["order"].number, "sku": made["item"].sku,
                "lead_id": made["lead"].id, "opportunity_id": made["opportunity"].id}


def _upload(b: Browser, name: str, content: bytes) -> Any:
    b.get("/customers/import")
    return b.client.post("/customers/import", data={"csrf_token": b.token}, files={"file": (name, content)})


def test_customer_list_filters_by_tier_rating_and_region(browser: Callable[..., Browser],
                                                         account: dict[str, Any]) -> None:
    sales = browser("sales")

    hit = sales.get(f"/customers?q={account['tag']}&tier=key&rating=C&region=east&pool=no")
    miss = sales.get(f"/customers?q={account['tag']}&rating=A")

    assert hit.status_code == 200 and f'href="/customers/{account["code"]}"' in hit.text
    assert account["code"] not in miss.text and "No customers match." in miss.text


def test_customer_list_pages(browser: Callable[..., Browser], world: None,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    tag = uuid.uuid4().hex[:8]
    with transaction() as session:
        for n in range(3):
            make_customer(session, name=f"Paged {tag} {n}")
    sales = browser("sales")

    monkeypatch.setattr(customer_pages, "PAGE_SIZE", 2)

    first = sales.get(f"/customers?q={tag}")
    second = sales.get(f"/customers?q={tag}&page_no=2")

    assert first.text.count(f"Paged {tag}") == 2 and f'href="/customers?q={tag}&amp;page_no=2"' in first.text
    assert second.text.count(f"Paged {tag}") == 1 and 'rel="next"' not in second.text


def test_360_page_shows_every_section(browser: Callable[..., Browser], account: dict[str, Any]) -> None:
    page = browser("sales").get(f"/customers/{account['code']}")

    assert page.status_code == 200
    for section in ("customer-master", "customer-contacts", "customer-pipeline", "customer-follow-ups",
                    "customer-quotes", "customer-orders", "customer-availability"):
        assert f'id="{section}"' in page.text
    text = page.text
    assert f"Receiver {account['tag']}" in text and "Receiving" in text and "Finance" in text
    assert f"Deal {account['tag']}" in text and f"Visited {account['tag']}" in text
    assert f'href="/quotes/{account["quote"]}"' in text
    assert f'href="/sales-orders/{account["order"]}"' in text and "Partially shipped" in text
    assert "C (weak)" in text and "pill-error" in text


def test_360_availability_compares_what_is_left_to_ship_with_stock(browser: Callable[..., Browser],
                                                                    account: dict[str, Any]) -> None:
    page = browser("sales").get(f"/customers/{account['code']}").text

    section = page[page.index('id="customer-availability"'):]
    assert account["sku"] in section and "Short" in section  # 3 still to ship, 0 left after shipping all 7


def test_360_page_takes_added_sections(browser: Callable[..., Browser], account: dict[str, Any],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(customer_pages, "SECTIONS", list(customer_pages.SECTIONS))
    customer_pages.add_section(customer_pages.Section(
        "extra", "customer_360_master.html", lambda session, customer: {}), after="master")

    page = browser("sales").get(f"/customers/{account['code']}")

    assert page.text.count('id="customer-master"') == 2


def test_unknown_customer_is_not_found(browser: Callable[..., Browser], world: None) -> None:
    assert browser("sales").get("/customers/NO-SUCH-CUSTOMER").status_code == 404


def test_lead_list_filters_by_status_and_links_the_lead(browser: Callable[..., Browser],
                                                        account: dict[str, Any]) -> None:
    sales = browser("sales")

    qualified = sales.get(f"/leads?q=Lead+{account['tag']}&status=qualified")
    new = sales.get(f"/leads?q=Lead+{account['tag']}&status=new")
    detail = sales.get(f"/leads/{account['lead_id']}")

    assert f'href="/leads/{account["lead_id"]}"' in qualified.text
    assert f'href="/leads/{account["lead_id"]}"' not in new.text
    assert f'href="/opportunities/{account["opportunity_id"]}"' in detail.text
    assert f'href="/customers/{account["code"]}"' in detail.text


def test_opportunity_list_filters_by_stage_and_shows_its_quotes(browser: Callable[..., Browser],
                                                                account: dict[str, Any]) -> None:
    sales = browser("sales")

    listed = sales.get(f"/opportunities?q={account['tag']}&stage=qualification")
    won = sales.get(f"/opportunities?q={account['tag']}&stage=won")
    detail = sales.get(f"/opportunities/{account['opportunity_id']}")

    assert f'href="/opportunities/{account["opportunity_id"]}"' in listed.text
    assert "No opportunities match." in won.text
    assert f'href="/quotes/{account["quote"]}"' in detail.text


def test_new_lead_shows_as_new(browser: Callable[..., Browser], world: None) -> None:
    with transaction() as session:
        lead = make_lead(session, company=f"Fresh {uuid.uuid4().hex[:8]}")
        pipeline.assign_lead(session=session, lead_id=lead.id, owner="sales")
        lead_id, company = lead.id, lead.company

    page = browser("sales").get(f"/leads?owner=sales&status=new&q={company}")

    assert f'href="/leads/{lead_id}"' in page.text


def test_import_preview_marks_each_bad_cell(browser: Callable[..., Browser], world: None) -> None:
    sales = browser("sales")
    content = f"name,tier,credit_limit\nGood {uuid.uuid4().hex},key,100\n,gold,abc\n".encode()

    page = _upload(sales, "c.csv", content)

    assert page.status_code == 422
    assert page.text.count('class="has-error"') == 3 and 'id="import-confirm"' not in page.text
    assert "Nothing will be imported" in page.text


def test_import_preview_then_confirm_creates_the_customers(browser: Callable[..., Browser], world: None) -> None:
    sales = browser("sales")
    names = [f"Imported {uuid.uuid4().hex[:8]}" for _ in range(2)]
    content = ("客户名称,客户等级,信用额度\n" + "".join(f"{n},重点,1000\n" for n in names)).encode("gbk")

    preview = _upload(sales, "客户.csv", content)
    rows = html.unescape(preview.text.split('name="rows" value="')[1].split('"')[0])
    done = sales.post("/customers/import/confirm", {"rows": rows, "filename": "客户.csv"})

    assert preview.status_code == 200 and "Import 2 customers" in preview.text
    assert done.status_code == 200 and "Customers imported: 2" in done.text
    with transaction() as session:
        created = session.scalars(select(Customer).where(Customer.name.in_(names))).all()
        assert sorted((c.name, c.credit_limit) for c in created) == [(n, Decimal("1000.00")) for n in sorted(names)]


def test_confirm_checks_again_and_imports_nothing_on_a_new_duplicate(browser: Callable[..., Browser],
                                                                     world: None) -> None:
    sales = browser("sales")
    fresh, taken = f"Fresh {uuid.uuid4().hex}", f"Taken {uuid.uuid4().hex}"
    with transaction() as session:
        make_customer(session, name=taken)
    rows = json.dumps({"header": ["name"], "body": [[fresh], [taken]]})

    page = sales.post("/customers/import/confirm", {"rows": rows})

    assert page.status_code == 422 and "a customer with this value already exists" in page.text
    with transaction() as session:
        assert session.scalar(select(Customer.id).where(Customer.name == fresh)) is None


def test_import_is_for_sales_only(browser: Callable[..., Browser], world: None) -> None:
    warehouse = browser("warehouse")

    assert warehouse.get("/customers/import").status_code == 403
    assert 'id="customer-import"' not in warehouse.get("/customers").text


def test_360_page_shows_open_receivables_tickets_and_every_process_that_touched_the_customer(
        browser: Callable[..., Browser], account: dict[str, Any]) -> None:
    from domain.finance.service import create_invoice_for_order
    from domain.sales.service import get_order_by_number
    from domain.service.schemas import TicketCreate
    from domain.service.service import create_ticket
    from engine.runtime import Actor
    from tests.bpmn_samples import simple_process
    from tests.flow import deploy_xml, start

    with transaction() as session:
        order = get_order_by_number(session=session, number=account["order"])
        invoice = create_invoice_for_order(session=session, order_id=order.id)
        invoice_number = invoice.number
    with transaction() as session:
        ticket = create_ticket(session=session, actor="service", data=TicketCreate(
            customer_code=account["code"], subject=f"Pump noise {account['tag']}"))
        ticket_number = ticket.number
    key = f"touch_{uuid.uuid4().hex[:6]}"
    deploy_xml(f"{key}.bpmn", simple_process(key=key, form=None))
    touching = start(key, {"customer_code": account["code"], "amount": 100}, actor=Actor("rita", {"reviewers"}))
    other = start(key, {"customer_code": "C-SOMEONE-ELSE", "amount": 100}, actor=Actor("rita", {"reviewers"}))

    page = browser("sales").get(f"/customers/{account['code']}").text

    receivables = page[page.index('id="customer-ar"'):page.index('id="customer-service"')]
    assert invoice_number in receivables
    assert ticket_number in page[page.index('id="customer-service"'):page.index('id="customer-instances"')]
    processes = page[page.index('id="customer-instances"'):]
    assert f'href="/instances/{touching}"' in processes and f'href="/instances/{other}"' not in processes
