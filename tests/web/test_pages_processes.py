"""Deployed processes in the browser: versions with counts, a version's diagram and files, upload & deploy, diff."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
from fastapi.testclient import TestClient

from domain.db import transaction
from engine import deployment
from engine.bundle import BundleFile
from engine.runtime import Actor
from tests.bpmn_samples import bundle, simple_process
from tests.engine.test_vendor import camunda_style
from tests.flow import deploy_xml, run_due_jobs, start
from tests.timer_samples import async_service_with_retries
from tests.web.conftest import Browser


def _key(prefix: str = "pp") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:6]}"


def upload(b: Browser, files: list[BundleFile], *, csrf: bool = True) -> httpx.Response:
    """Post files to the deploy form as a browser does (multipart, with the page's CSRF token)."""
    if not b.token:
        b.get("/processes")
    data = {"csrf_token": b.token} if csrf else {}
    parts = [("files", (f.name, f.content, "application/octet-stream")) for f in files]
    response = b.client.post("/processes/deploy", data=data, files=parts)
    b._remember(response)
    return response


def _row(html: str, key: str, version: int) -> str:
    return html.split(f'id="version-{key}-{version}"')[1].split("</tr>")[0]


def _count(row: str, what: str) -> int:
    return int(row.split(f'class="count-{what}">')[1].split("<")[0])


def test_the_list_shows_each_version_newest_first_with_instance_counts(
        world: None, browser: Callable[..., Browser]) -> None:
    key = _key()
    deploy_xml(f"{key}.bpmn", async_service_with_retries(key, "crm.get_customer", retries=0))
    failing = start(key, {"customer_code": "C-NOPE-404"})
    assert failing and "failed" in run_due_jobs()
    deploy_xml(f"{key}.bpmn", async_service_with_retries(key, "crm.get_customer", retries=1))
    html = browser("manager").get("/processes").text
    assert html.index(f'id="version-{key}-2"') < html.index(f'id="version-{key}-1"')
    v1, v2 = _row(html, key, 1), _row(html, key, 2)
    assert _count(v1, "incidents") == 1 and _count(v2, "incidents") == 0
    assert (_count(v2, "running"), _count(v2, "completed")) == (0, 0)
    assert f'href="/processes/{key}/1"' in html and "owner" in v1  # the manager reads Chinese


def test_running_and_completed_instances_are_counted_per_version(
        world: None, browser: Callable[..., Browser]) -> None:
    key = _key()
    with transaction() as session:  # the bundle carries the review form
        deployment.deploy(session=session, files=bundle(simple_process(key=key)), actor="owner")
    reviewer = Actor("rita", {"reviewers"})
    start(key, {"amount": 1}, reviewer)  # straight to the end
    start(key, {"amount": 500}, reviewer)  # waits at the review
    row = _row(browser("owner").get("/processes").text, key, 1)
    assert (_count(row, "running"), _count(row, "completed")) == (1, 1)


def test_an_owner_uploads_a_new_version_and_lands_on_it(world: None, browser: Callable[..., Browser]) -> None:
    key = _key()
    owner = browser("owner")
    first = upload(owner, bundle(simple_process(key=key)))
    assert first.status_code == 200 and f"Deployed Simple {key} v1." in first.text
    second = upload(owner, bundle(simple_process(key=key, condition="total &gt; 500")))
    assert str(second.url).endswith(f"/processes/{key}/2")
    assert f"Deployed Simple {key} v2." in second.text and 'id="diagram"' in second.text
    assert "review.schema.json" in second.text  # the form it carries
    assert f'id="version-{key}-2"' in owner.get("/processes").text


def test_uploading_the_same_content_again_says_unchanged(world: None, browser: Callable[..., Browser]) -> None:
    key = _key()
    owner = browser("owner")
    upload(owner, bundle(simple_process(key=key)))
    again = upload(owner, bundle(simple_process(key=key)))
    assert f"Unchanged: Simple {key} has the same content as v1." in again.text
    assert f'id="version-{key}-2"' not in owner.get("/processes").text


def test_a_broken_bpmn_shows_element_errors_and_deploys_nothing(
        world: None, browser: Callable[..., Browser]) -> None:
    key = _key()
    owner = browser("owner")
    response = upload(owner, bundle(simple_process(key=key, script="x = ().__class__.__base__")))
    assert response.status_code == 422
    errors = response.text.split('id="deploy-errors"')[1].split("</table>")[0]
    assert "Activity_Compute" in errors and "simple.bpmn" in errors
    assert f'id="process-{key}"' not in owner.get("/processes").text


def test_malformed_xml_shows_the_file_and_line(world: None, browser: Callable[..., Browser]) -> None:
    response = upload(browser("owner"), [BundleFile("broken.bpmn", b"<bpmn:definitions>\n<oops")])
    assert response.status_code == 422 and "broken.bpmn" in response.text and "malformed XML" in response.text


def test_sales_may_neither_deploy_nor_read_processes(world: None, browser: Callable[..., Browser]) -> None:
    sales = browser("sales")
    assert 'href="/processes"' not in sales.get("/start").text
    assert sales.get("/processes").status_code == 403
    assert upload(sales, bundle(simple_process(key=_key()))).status_code == 403


def test_a_manager_reads_but_may_not_deploy(world: None, browser: Callable[..., Browser]) -> None:
    manager = browser("manager")
    page = manager.get("/processes")
    assert page.status_code == 200 and 'href="/processes"' in page.text
    assert 'action="/processes/deploy"' not in page.text
    assert upload(manager, bundle(simple_process(key=_key()))).status_code == 403


def test_an_upload_without_the_csrf_token_is_refused(world: None, browser: Callable[..., Browser]) -> None:
    assert upload(browser("owner"), bundle(simple_process(key=_key())), csrf=False).status_code == 403


def test_download_returns_the_deployed_xml_as_an_attachment(world: None, browser: Callable[..., Browser]) -> None:
    response = browser("owner").get("/processes/lead_to_cash/1/download.bpmn")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/xml")
    assert response.headers["content-disposition"] == 'attachment; filename="lead_to_cash.v1.bpmn"'
    assert 'id="lead_to_cash"' in response.text


def test_an_unknown_version_is_404(world: None, browser: Callable[..., Browser]) -> None:
    assert browser("owner").get("/processes/lead_to_cash/999").status_code == 404


def test_a_camunda_diagram_deploys_with_its_extensions_listed(world: None, browser: Callable[..., Browser]) -> None:
    key = _key("cam")
    page = upload(browser("owner"), [BundleFile("camunda.bpmn", camunda_style(key).encode())])
    assert "Deployed Camunda style v1." in page.text and "not executed by Flowdesk" in page.text
    warnings = page.text.split('id="vendor-warnings"')[1].split("</section>")[0]
    assert "camunda:assignee" in warnings and "zeebe:taskDefinition" in warnings and "Activity_Approve" in warnings


def test_the_api_returns_vendor_warnings_on_deploy(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    files = [("files", ("camunda.bpmn", camunda_style(_key("api")).encode(), "application/xml"))]
    resp = client.post("/api/v1/process-definitions", files=files, headers=as_user("owner"))
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["deployed"][0]["version"] == 1
    names = {(w["name"], w["element_id"]) for w in body["warnings"]}
    assert {("camunda:assignee", "Activity_Approve"), ("camunda:formKey", "Activity_Approve"),
            ("zeebe:taskDefinition", "Activity_Approve")} <= names


def test_the_api_downloads_a_versions_bpmn(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    owner = as_user("sales")
    [d] = client.get("/api/v1/process-definitions?key=lead_to_cash", headers=owner).json()[-1:]
    resp = client.get(f"/api/v1/process-definitions/{d['id']}/bpmn", headers=owner)
    assert resp.status_code == 200 and "attachment" in resp.headers["content-disposition"]
    assert 'id="lead_to_cash"' in resp.text
    assert client.get("/api/v1/process-definitions/999999/bpmn", headers=owner).status_code == 404


def test_the_diff_page_lists_changes_and_marks_them_on_the_diagram(
        world: None, browser: Callable[..., Browser]) -> None:
    key = _key()
    owner = browser("owner")
    extra = '<bpmn:manualTask id="Activity_Archive" name="Archive"/>\n'
    upload(owner, bundle(simple_process(key=key, extra_tasks=extra)))
    upload(owner, bundle(simple_process(key=key, condition="total &gt; 500",
                                        extra_tasks='<bpmn:manualTask id="Activity_Notify" name="Notify"/>\n')))
    page = owner.get(f"/processes/{key}/diff?from=1&to=2")
    assert page.status_code == 200
    assert "Activity_Notify" in page.text.split('id="diff-added"')[1].split("</ul>")[0]
    assert "Activity_Archive" in page.text.split('id="diff-removed"')[1].split("</ul>")[0]
    changed = page.text.split('id="diff-changed"')[1].split("</table>")[0]
    assert "Flow_Big" in changed and "Condition" in changed
    assert "total &gt; 100" in changed and "total &gt; 500" in changed
    assert '"added": ["Activity_Notify"]' in page.text and '"changed": ["Flow_Big"]' in page.text
    assert "/static/js/diagram.js" in page.text and f"/processes/{key}/2/diagram.bpmn" in page.text
    assert owner.get(f"/processes/{key}/diff").text.count("Activity_Notify") >= 1  # defaults: previous -> latest
