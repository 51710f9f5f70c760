"""HTML pages through the real app: sign-in, CSRF, inbox, claim/unclaim, start, task forms, instance, locale.

The database is shared by the whole run and data commits, so every test starts its own instances with a unique
business key (and, where stock or credit matter, its own customer and item).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import func, select

from domain.db import transaction
from domain.identity import service as identity
from engine.models import ProcessInstance
from tests.web.conftest import (
    Browser,  # noqa: E402,F401 - re-exported for the other page tests
    unique,  # noqa: E402,F401 - shared with the other page tests
)


def open_lead(b: Browser, customer_code: str, business_key: str, **fields: str) -> httpx.Response:
    """Start lead-to-cash from the start page's form (it lands on First contact)."""
    form = {"customer_code": customer_code, "lead_title": "Pumps for the new plant", "source": "trade_show",
            "_business_key": business_key, **fields}
    return b.post("/start/lead_to_cash", form)


def start_lead(b: Browser, customer_code: str, business_key: str, **fields: str) -> httpx.Response:
    """Start lead-to-cash and make the first contact: the Qualify lead page."""
    contact = open_lead(b, customer_code, business_key, **fields)
    return b.post(f"/tasks/{task_id(contact)}/complete", {"channel": "phone", "contact_note": "called them"})


def task_id(response: httpx.Response) -> int:
    match = re.fullmatch(r"/tasks/(\d+)", response.url.path)
    assert match, f"not on a task page: {response.url}"
    return int(match.group(1))


def instance_id(response: httpx.Response) -> int:
    match = re.search(r'href="/instances/(\d+)"', response.text)
    assert match
    return int(match.group(1))


def inbox_row(b: Browser, business_key: str, tab: str = "group") -> int | None:
    """The id of the task of business_key in an inbox tab, if listed."""
    for tid, row in re.findall(r'<tr id="task-(\d+)"(.*?)</tr>', b.get(f"/?tab={tab}").text, re.S):
        if business_key in row:
            return int(tid)
    return None


def counts(html: str) -> tuple[int, int]:
    mine = re.search(r'id="count-mine"[^>]*>(\d+)<', html)
    group = re.search(r'id="count-group"[^>]*>(\d+)<', html)
    assert mine and group
    return int(mine.group(1)), int(group.group(1))


def test_login_with_wrong_password_shows_error(browser: Callable[..., Browser]) -> None:
    b = browser()
    b.get("/login")
    response = b.post("/login", {"username": "sales", "password": "wrong"})
    assert response.status_code == 401
    assert "Wrong username or password." in response.text and 'value="sales"' in response.text


def test_pages_redirect_to_login_and_back_after_sign_in(browser: Callable[..., Browser]) -> None:
    b = browser()
    response = b.get("/start", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/start"
    b.get("/login?next=/start")
    response = b.post("/login", {"username": "sales", "password": "demo", "next": "/start"})
    assert response.url.path == "/start" and "Lead to cash" in response.text


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"])
def test_login_redirects_only_to_paths_on_this_site(browser: Callable[..., Browser], target: str) -> None:
    b = browser()
    b.get("/login")
    response = b.post("/login", {"username": "sales", "password": "demo", "next": target}, follow=False)
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_post_without_csrf_token_is_rejected(browser: Callable[..., Browser], goods: tuple[str, str]) -> None:
    anonymous = browser()
    anonymous.get("/login")
    response = anonymous.post("/login", {"username": "sales", "password": "demo"}, csrf=False)
    assert response.status_code == 403 and "The form has expired" in response.text
    sales = browser("sales")
    qualify = task_id(start_lead(sales, goods[0], unique()))
    response = sales.post(f"/tasks/{qualify}/claim", htmx=True, csrf=False)
    assert response.status_code == 403 and response.headers["HX-Retarget"] == "#flash"
    sales.token = "forged"
    assert sales.post(f"/tasks/{qualify}/complete", {"qualified": "true"}).status_code == 403


def test_the_start_page_lists_only_processes_my_groups_may_start(browser: Callable[..., Browser]) -> None:
    assert 'action="/start/lead_to_cash"' in browser("sales").get("/start").text
    assert 'action="/start/lead_to_cash"' not in browser("warehouse").get("/start").text


def test_logout_ends_the_session(browser: Callable[..., Browser]) -> None:
    b = browser("sales")
    assert b.post("/logout").url.path == "/login"
    assert b.get("/", follow_redirects=False).status_code == 303


def test_sales_starts_lead_to_cash_and_lands_on_first_contact(browser: Callable[..., Browser],
                                                              goods: tuple[str, str]) -> None:
    sales = browser("sales")
    page = sales.get("/start")
    assert 'action="/start/lead_to_cash"' in page.text and 'name="customer_code"' in page.text
    key = unique()
    response = open_lead(sales, goods[0], key, expected_amount="80000.00")
    assert response.status_code == 200
    assert "<h1>First contact</h1>" in response.text and key in response.text
    assert "Started Lead to cash" in response.text  # flash
    assert "Pages Test" in response.text  # customer name in the context panel
    with transaction() as session:
        instance = session.scalar(select(ProcessInstance).where(ProcessInstance.business_key == key))
        assert instance is not None and instance.variables["expected_amount"] == "80000.00"


def test_invalid_start_form_shows_inline_errors_and_starts_nothing(browser: Callable[..., Browser]) -> None:
    sales = browser("sales")
    key = unique()
    response = sales.post("/start/lead_to_cash", {"customer_code": "C-SH-003", "lead_title": "",
                                                  "expected_amount": "lots", "_business_key": key})
    assert response.status_code == 422
    assert re.search(r'id="f-expected_amount"[^>]*value="lots"|value="lots"[^>]*id="f-expected_amount"',
                     response.text)
    assert "Enter a number." in response.text and "This field is required." in response.text
    assert f'value="{key}"' in response.text
    with transaction() as session:
        assert session.scalar(select(func.count()).where(ProcessInstance.business_key == key)) == 0


def test_start_with_unknown_customer_keeps_the_form(browser: Callable[..., Browser]) -> None:
    sales = browser("sales")
    response = open_lead(sales, "C-NOPE-404", unique())
    assert response.status_code in (404, 422)
    assert 'value="C-NOPE-404"' in response.text and 'class="alert alert-error"' in response.text


def test_instance_page_shows_history_and_the_diagram(browser: Callable[..., Browser], goods: tuple[str, str]) -> None:
    sales = browser("sales")
    qualify = start_lead(sales, goods[0], unique())
    iid = instance_id(qualify)
    sales.post(f"/tasks/{task_id(qualify)}/complete", {"qualified": "true", "decision_maker": "Ms. Wu"})
    page = sales.get(f"/instances/{iid}")
    assert page.status_code == 200
    assert 'id="diagram"' in page.text and f"/instances/{iid}/diagram.bpmn" in page.text
    assert "bpmn-navigated-viewer.production.min.js" in page.text
    markers = re.search(r'<script type="application/json" id="diagram-markers">(.*?)</script>', page.text)
    assert markers and '"Activity_QualifyLead"' in markers.group(1)
    assert '"active": ["Activity_PrepareQuote"]' in markers.group(1)
    for text in ("Instance started", "Task completed", "Qualify lead", "Ms. Wu", "Prepare quote"):
        assert text in page.text
    diagram = sales.get(f"/instances/{iid}/diagram.bpmn")
    assert diagram.headers["content-type"].startswith("application/xml") and "Activity_QualifyLead" in diagram.text
    listing = sales.get("/instances?status=running")
    assert f'href="/instances/{iid}"' in listing.text


def test_chinese_from_accept_language(browser: Callable[..., Browser], goods: tuple[str, str]) -> None:
    anonymous = browser(accept_language="zh-CN,zh;q=0.9,en;q=0.5")
    assert "登录" in anonymous.get("/login").text
    sales = browser("sales", accept_language="zh-CN")
    start_lead(sales, goods[0], unique())
    page = sales.get("/?tab=group")
    assert "我的待办" in page.text and "认领" in page.text and "业务编号" in page.text
    assert 'lang="zh-CN"' in page.text


def test_language_switch_is_remembered(browser: Callable[..., Browser]) -> None:
    anonymous = browser()
    anonymous.get("/login")
    page = anonymous.post("/locale", {"locale": "zh_Hans_CN", "next": "/login"})
    assert "登录" in page.text
    name = f"pages_{uuid.uuid4().hex[:8]}"
    with transaction() as session:
        identity.create_user(session=session, username=name, password="demo", groups=["sales"])
    user = browser(name)
    user.post("/locale", {"locale": "zh_Hans_CN", "next": "/instances"})
    with transaction() as session:
        stored = identity.get_by_username(session=session, username=name)
        assert stored is not None and stored.locale == "zh_Hans_CN"  # the user's own setting from now on
    assert "流程实例" in browser(name, accept_language="en").get("/instances").text


def test_user_setting_beats_the_browser_language(browser: Callable[..., Browser]) -> None:
    manager = browser("manager", accept_language="en")  # the demo manager's setting is Chinese
    assert "发起流程" in manager.get("/start").text
