"""Inbox and task pages: counts, htmx claim/unclaim, inline form errors, conflicts, group visibility, "Done" tasks."""

from __future__ import annotations

import re
from collections.abc import Callable

from domain.db import transaction
from engine import deployment
from engine.models import HumanTask, ProcessInstance
from tests.bpmn_samples import bundle, simple_process
from tests.web.conftest import Browser
from tests.web.test_pages import counts, inbox_row, start_lead, task_id, unique


def test_inbox_shows_counts_and_the_lead(browser: Callable[..., Browser], goods: tuple[str, str]) -> None:
    sales = browser("sales")
    key = unique()
    start_lead(sales, goods[0], key)
    page = sales.get("/?tab=group")
    mine, group = counts(page.text)
    assert group >= 1 and key in page.text and "Qualify lead" in page.text
    assert re.search(r'id="nav-count"[^>]*>(\d+)<', page.text).group(1) == str(mine + group)  # type: ignore[union-attr]
    assert "Pages Test" in page.text  # customer column
    assert sales.get("/?tab=group&sort=due").status_code == 200


def test_claim_and_unclaim_via_htmx_return_the_row_and_counts(browser: Callable[..., Browser],
                                                               goods: tuple[str, str]) -> None:
    sales = browser("sales")
    key = unique()
    start_lead(sales, goods[0], key)
    tid = inbox_row(sales, key)
    assert tid is not None
    mine, group = counts(sales.get("/?tab=group").text)
    claimed = sales.post(f"/tasks/{tid}/claim", htmx=True)
    assert claimed.status_code == 200 and claimed.text.lstrip().startswith(f'<tr id="task-{tid}"')
    assert "Unclaim" in claimed.text and "Claimed by you" in claimed.text
    assert f'id="count-mine" hx-swap-oob="true">{mine + 1}<' in claimed.text
    assert f'id="count-group" hx-swap-oob="true">{group - 1}<' in claimed.text
    assert inbox_row(sales, key, tab="mine") == tid
    released = sales.post(f"/tasks/{tid}/unclaim", htmx=True)
    assert released.status_code == 200 and 'data-action="claim"' in released.text
    assert f'id="count-mine" hx-swap-oob="true">{mine}<' in released.text


def test_claim_of_a_task_someone_else_claimed_shows_an_inline_message(browser: Callable[..., Browser],
                                                                      goods: tuple[str, str]) -> None:
    sales, director = browser("sales"), browser("director")  # the director is also in the sales group
    tid = task_id(start_lead(sales, goods[0], unique()))
    assert director.post(f"/tasks/{tid}/claim", htmx=True).status_code == 200
    response = sales.post(f"/tasks/{tid}/claim", htmx=True)
    assert response.status_code == 409 and response.headers["HX-Retarget"] == "#flash"
    assert "Someone else has already claimed this task." in response.text and "<html" not in response.text


def test_invalid_task_data_rerenders_with_inline_errors_and_changes_nothing(browser: Callable[..., Browser],
                                                                          goods: tuple[str, str]) -> None:
    sales = browser("sales")
    page = sales.post(f"/tasks/{task_id(start_lead(sales, goods[0], unique()))}/complete", {"qualified": "true"})
    quote = task_id(page)
    response = sales.post(f"/tasks/{quote}/complete", {
        "lines[0][item_sku]": goods[1], "lines[0][quantity]": "abc", "valid_days": "-5",
        "note": "keep me"})
    assert response.status_code == 422
    assert 'value="abc"' in response.text and 'value="-5"' in response.text and "keep me" in response.text
    assert "Enter a number." in response.text and 'id="f-lines-0-quantity-error"' in response.text
    assert 'id="f-valid_days-error">Must be at least 1.<' in response.text
    with transaction() as session:
        task = session.get(HumanTask, quote)
        assert task is not None and task.status == "open"
        instance = session.get(ProcessInstance, task.instance_id)
        assert instance is not None and "lines" not in instance.variables


def test_completing_a_task_claimed_by_someone_else_keeps_the_entered_data(browser: Callable[..., Browser],
                                                                          goods: tuple[str, str]) -> None:
    sales, director = browser("sales"), browser("director")
    tid = task_id(start_lead(sales, goods[0], unique()))
    director.post(f"/tasks/{tid}/claim", htmx=True)
    response = sales.post(f"/tasks/{tid}/complete", {"qualified": "true", "notes": "met them at the fair"})
    assert response.status_code == 409
    assert "Someone else has already claimed this task." in response.text
    assert "met them at the fair" in response.text


def test_completing_a_stale_task_says_so_and_keeps_the_data(browser: Callable[..., Browser],
                                                            goods: tuple[str, str]) -> None:
    sales = browser("sales")
    tid = task_id(start_lead(sales, goods[0], unique()))
    assert sales.post(f"/tasks/{tid}/complete", {"qualified": "true"}).status_code == 200
    again = sales.post(f"/tasks/{tid}/complete", {"qualified": "false", "notes": "second try"})
    assert again.status_code == 409 and "no longer open" in again.text and "second try" in again.text


def test_warehouse_cannot_see_or_complete_a_sales_task(browser: Callable[..., Browser],
                                                       goods: tuple[str, str]) -> None:
    sales, warehouse = browser("sales"), browser("warehouse")
    key = unique()
    tid = task_id(start_lead(sales, goods[0], key))
    assert inbox_row(warehouse, key) is None
    assert warehouse.get(f"/tasks/{tid}").status_code == 404
    assert warehouse.post(f"/tasks/{tid}/complete", {"qualified": "true"}).status_code == 404
    assert warehouse.post(f"/tasks/{tid}/claim", htmx=True).status_code in (403, 404)
    with transaction() as session:
        task = session.get(HumanTask, tid)
        assert task is not None and task.status == "open" and task.assignee is None


def test_a_task_without_a_form_has_just_a_done_button(browser: Callable[..., Browser]) -> None:
    with transaction() as session:
        bpmn = simple_process(key="pages_manual", script="total = 1000", form=None)
        deployment.deploy(session=session, files=bundle(bpmn, name="pages_manual.bpmn"), actor="owner")
    admin = browser("admin")
    page = admin.post("/start/pages_manual", {"_business_key": unique()})
    assert "<h1>Review</h1>" in page.text and "This task has no form." in page.text
    assert '<button type="submit" class="btn btn-primary" id="complete-btn">' in page.text
    done = admin.post(f"/tasks/{task_id(page)}/complete", {})
    assert done.url.path == "/" and "“Review” completed" in done.text


def test_a_rejected_quote_comes_back_with_its_lines_and_the_reason(browser: Callable[..., Browser],
                                                                   goods: tuple[str, str]) -> None:
    sales, director = browser("sales"), browser("director")
    key = unique()
    quote = sales.post(f"/tasks/{task_id(start_lead(sales, goods[0], key))}/complete", {"qualified": "true"})
    sales.post(f"/tasks/{task_id(quote)}/complete", {
        "lines[0][item_sku]": goods[1], "lines[0][quantity]": "30", "lines[0][unit_price]": "2600.00"})
    approval = inbox_row(director, key)
    assert approval is not None
    missing = director.post(f"/tasks/{approval}/complete", {"decision": "reject"})
    assert missing.status_code == 422 and 'id="f-comment-error">This field is required.<' in missing.text
    director.post(f"/tasks/{approval}/complete", {"decision": "reject", "comment": "discount too low"})
    rework = inbox_row(sales, key)
    assert rework is not None and rework != task_id(quote)
    page = sales.get(f"/tasks/{rework}").text
    assert "<h1>Prepare quote</h1>" in page and "discount too low" in page
    assert re.search(r'name="lines\[0\]\[quantity\]" value="30"', page) and f'value="{goods[1]}"' in page
