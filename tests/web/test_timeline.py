"""The instance timeline on the web: reassigning a task (API and page form), the data a task changed, a label for
every kind of event."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from engine.history import EventType
from tests.web.conftest import Browser
from tests.web.test_api_lead_to_cash import only_task, start, start_to_qualify
from web.pages import labels


def _assign(client: TestClient, task_id: int, headers: dict[str, str], assignee: str, reason: str = "holiday"):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/tasks/{task_id}/assign", json={"assignee": assignee, "reason": reason},
                       headers=headers)


def test_a_manager_reassigns_a_task_and_the_history_says_who_from_and_to(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    sales = as_user("sales")
    iid = start(client, sales)["id"]
    task = only_task(client, iid, sales)
    assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=sales).status_code == 200
    resp = _assign(client, task["id"], as_user("manager"), "director")
    assert (resp.status_code, resp.json()["assignee"]) == (200, "director")
    events = client.get(f"/api/v1/process-instances/{iid}/history", headers=as_user("admin")).json()["events"]
    moved = next(e for e in events if e["type"] == "task_reassigned")
    assert (moved["actor"], moved["data"]["from"], moved["data"]["to"], moved["data"]["reason"]) == (
        "manager", "sales", "director", "holiday")


def test_people_who_are_not_managers_or_admins_may_not_reassign(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    sales = as_user("sales")
    task = only_task(client, start(client, sales)["id"], sales)
    for who in ("sales", "owner", "auditor"):
        resp = _assign(client, task["id"], as_user(who), "director")
        assert (resp.status_code, resp.json()["code"]) == (403, "not_a_reassigner"), who


def test_a_task_is_not_given_to_someone_outside_its_group_or_unknown(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    sales = as_user("sales")
    task = only_task(client, start(client, sales)["id"], sales)
    outside = _assign(client, task["id"], as_user("admin"), "warehouse")
    assert (outside.status_code, outside.json()["code"]) == (422, "assignee_not_in_group")
    nobody = _assign(client, task["id"], as_user("admin"), "no-such-user")
    assert (nobody.status_code, nobody.json()["code"]) == (422, "unknown_assignee")


def test_the_instance_page_form_reassigns_and_the_timeline_shows_it(client: TestClient, as_user,  # type: ignore[no-untyped-def]
                                                                   browser: Callable[..., Browser]) -> None:
    sales = as_user("sales")
    iid = start(client, sales)["id"]
    task = only_task(client, iid, sales)
    admin = browser("admin")
    page = admin.get(f"/instances/{iid}")
    assert f'action="/tasks/{task["id"]}/assign"' in page.text
    done = admin.post(f"/tasks/{task['id']}/assign", {"assignee": "director", "reason": "escalated"})
    assert done.status_code == 200 and "event-task_reassigned" in done.text and "escalated" in done.text


def test_the_form_is_not_offered_to_people_who_may_not_reassign(client: TestClient, as_user,  # type: ignore[no-untyped-def]
                                                                 browser: Callable[..., Browser]) -> None:
    iid = start(client, as_user("sales"))["id"]
    assert "/assign" not in browser("auditor").get(f"/instances/{iid}").text


def test_the_timeline_shows_what_a_task_changed(client: TestClient, as_user,  # type: ignore[no-untyped-def]
                                                browser: Callable[..., Browser]) -> None:
    sales = as_user("sales")
    iid = start_to_qualify(client, sales)["id"]
    task = only_task(client, iid, sales)
    resp = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"qualified": True}}, headers=sales)
    assert resp.status_code == 200, resp.text
    page = browser("auditor").get(f"/instances/{iid}").text
    assert 'class="table compact event-changes"' in page and "qualified" in page


def test_every_event_type_has_a_timeline_label() -> None:
    assert [t.value for t in EventType if t not in labels.EVENT_LABELS] == []
