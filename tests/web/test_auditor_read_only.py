"""Auditors read everything and change nothing: every mutating route of the app (API and pages, found in app.routes,
so routes added later are covered too) refuses an auditor, and no table gains or loses a row."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import func, inspect, select, table, text

from domain.db import get_engine, transaction
from engine import deployment
from engine.models import ChainHead, HumanTask, InstanceStatus, ProcessInstance, TaskStatus
from tests import message_samples as samples
from tests.web.conftest import Browser, token_for
from tests.web.test_api_lead_to_cash import only_task, start
from web.app import create_app

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
# Routes an auditor may call, and why. Each still must not change any row (checked below) except where stated.
EXCEPTIONS = {
    ("POST", "/login"): "signing in is how an auditor starts reading",
    ("POST", "/logout"): "signing out ends the auditor's own session (a cookie, no row)",
    ("POST", "/locale"): "the auditor's own display language",
    ("POST", "/api/v1/auth/token"): "an API token is how an auditor reads the API (adds the auditor's token row)",
}
for preview in ("/api/v1/modeler/timer-preview", "/api/v1/modeler/condition-check", "/modeler/timer-preview",
                "/modeler/condition-check", "/modeler/form-preview"):
    EXCEPTIONS[("POST", preview)] = "the modeler's live preview: computes from the posted text, stores nothing"
ROW_CHANGE_ALLOWED = {("POST", "/api/v1/auth/token")}
REFUSED = {401, 403}
# A 404 is the documented answer where an auditor may not even see the object (tasks outside their work).
NOT_FOUND_DOCUMENTED = {"/api/v1/tasks/{task_id}/claim", "/api/v1/tasks/{task_id}/unclaim",
                        "/api/v1/tasks/{task_id}/complete", "/tasks/{task_id}/claim", "/tasks/{task_id}/unclaim",
                        "/tasks/{task_id}/complete"}
ACTIONS = {"action": ["suspend", "resume", "cancel"]}
# Body fields whose made-up value would be refused before the auditor's rights are checked.
KNOWN_FIELDS: dict[str, Any] = {"process_key": "lead_to_cash", "assignee": "director", "reason": "auditor test",
                                "event_types": ["task_completed"], "url": "https://example.org/hook"}


def _mutating_routes() -> list[tuple[str, str, Any]]:
    found = []
    for rc in iter_route_contexts(create_app().routes):
        methods = set(getattr(rc, "methods", None) or ()) & MUTATING
        for method in sorted(methods):
            found.append((method, str(rc.path), rc))
    return found


ROUTES = _mutating_routes()


def _ids() -> list[str]:
    return [f"{m} {p}" for m, p, _ in ROUTES]


@pytest.fixture
def target(client: TestClient, as_user) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Real objects for path parameters: a running lead_to_cash instance with its open task, the newest rows of
    other tables. Refusal must come from the auditor's rights, not from a missing row."""
    sales = as_user("sales")
    instance = start(client, sales)
    task = only_task(client, instance["id"], sales)
    assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=sales).status_code == 200  # unclaim is a change
    with transaction() as session:
        names = set(inspect(session.connection()).get_table_names())

        def newest(name: str) -> int:
            if name not in names:
                return 1
            return session.execute(text(f"SELECT MAX(id) FROM {name}")).scalar() or 1  # noqa: S608 - fixed names

        version = session.execute(text("SELECT MAX(version) FROM process_definition WHERE key = 'lead_to_cash'")
                                  ).scalar()
        # Real master data, so domain routes reach their rights check rather than "unknown sku".
        KNOWN_FIELDS["sku"] = KNOWN_FIELDS["item_sku"] = session.execute(text("SELECT MIN(sku) FROM item")).scalar()
        KNOWN_FIELDS["customer_code"] = session.execute(text("SELECT MIN(code) FROM customer")).scalar() or "x"
        values = {"instance_id": instance["id"], "task_id": task["id"], "incident_id": newest("incident"),
                  "webhook_id": newest("webhook_subscription"), "draft_id": newest("process_draft"),
                  "process_key": "lead_to_cash", "key": "lead_to_cash", "version": version,
                  "name": "payment_received"}
        # Any other {thing_id}: the newest row of the table `thing`, if there is one (routes added by others).
        for _, path, _ in ROUTES:
            for name in re.findall(r"{(\w+)_id}", path):
                values.setdefault(f"{name}_id", newest(name))
        return values


def _paths(path: str, values: dict[str, Any]) -> Iterator[str]:
    """The concrete paths of a route: each path parameter filled (every action, for /{action})."""
    filled = [path]
    for name, options in ACTIONS.items():
        if "{" + name + "}" in path:
            filled = [p.replace("{" + name + "}", o) for p in filled for o in options]
    for p in filled:
        for name, value in values.items():
            p = p.replace("{" + name + "}", str(value))
        yield p.replace("{", "").replace("}", "")  # anything unknown: a literal, still a real request


def _example(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """A small valid-looking value for a JSON Schema (so validation does not answer before authorization)."""
    if "$ref" in schema:
        return _example(components[schema["$ref"].rsplit("/", 1)[1]], components)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return _example(next(s for s in schema[key] if s.get("type") != "null"), components)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {name: KNOWN_FIELDS.get(name, _example(props[name], components))
                for name in schema.get("required", []) if name in props}
    if kind == "array":
        return [_example(schema.get("items", {}), components)] if schema.get("minItems") else []
    if kind in ("integer", "number"):
        return max(schema.get("minimum", 1), 1)
    if kind == "boolean":
        return True
    formats = {"date": "2026-11-02", "date-time": "2026-11-02T09:00:00+00:00", "email": "auditor@example.org"}
    return formats.get(schema.get("format", ""), "auditor-test" + "x" * max(0, schema.get("minLength", 0) - 12))


def _json_body(method: str, path: str, openapi: dict[str, Any]) -> Any:
    operation = openapi["paths"].get(path, {}).get(method.lower(), {})
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        return _example(content["application/json"]["schema"], openapi.get("components", {}).get("schemas", {}))
    return None


def _model_body(rc: Any) -> Any:
    """A JSON body for a route whose body is one pydantic model (pages are not in the OpenAPI document)."""
    params = rc.dependant.body_params if getattr(rc, "dependant", None) else []
    annotation = getattr(params[0].field_info, "annotation", None) if len(params) == 1 else None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        schema = annotation.model_json_schema(ref_template="#/$defs/{model}")
        return _example(schema, schema.get("$defs", {}))
    return None


def _form(rc: Any) -> tuple[dict[str, str], dict[str, Any]]:
    """Form fields and files for a page route's body parameters."""
    data: dict[str, str] = {}
    files: dict[str, Any] = {}
    for param in rc.dependant.body_params if getattr(rc, "dependant", None) else ():
        annotation = str(getattr(param.field_info, "annotation", ""))
        if "UploadFile" in annotation or param.name == "files":
            files[param.name] = ("auditor.bpmn", b"<definitions/>", "application/xml")
        else:
            data[param.name] = str(KNOWN_FIELDS.get(param.name, {"back": "/"}.get(param.name, "auditor test")))
    return data, files


def _snapshot() -> dict[str, Any]:
    """Row counts of every table, every chain's head, and the states of instances, tasks and incidents."""
    engine = get_engine()
    with engine.connect() as conn:
        counts = {name: conn.execute(select(func.count()).select_from(table(name))).scalar()
                  for name in inspect(conn).get_table_names() if name != "alembic_version"}
        heads = dict(conn.execute(select(ChainHead.chain, ChainHead.seq)).all())
        states = conn.execute(select(ProcessInstance.id, ProcessInstance.status, ProcessInstance.lock_version)).all()
        tasks = conn.execute(select(HumanTask.id, HumanTask.status, HumanTask.assignee)).all()
    return {"counts": counts, "heads": heads, "instances": sorted(states), "tasks": sorted(tasks)}


def _call(client: TestClient, browser: Browser, headers: dict[str, str], method: str, path: str, rc: Any,
          openapi: dict[str, Any], route_path: str) -> httpx.Response:
    if path.startswith("/api/"):
        body = _json_body(method, route_path, openapi)
        data, files = ({}, {}) if body is not None else _form(rc)
        return client.request(method, path, headers=headers, json=body, data=data or None, files=files or None)
    csrf = {"X-CSRF-Token": browser.token}
    body = _model_body(rc)
    if body is not None:
        return browser.client.request(method, path, json=body, follow_redirects=False, headers=csrf)
    data, files = _form(rc)
    data["csrf_token"] = browser.token
    return browser.client.request(method, path, data=data, files=files or None, follow_redirects=False, headers=csrf)


@pytest.mark.parametrize(("method", "route_path", "rc"), ROUTES, ids=_ids())
def test_an_auditor_changes_nothing(method: str, route_path: str, rc: Any, client: TestClient, app,  # type: ignore[no-untyped-def]
                                    browser, target: dict[str, Any]) -> None:
    auditor = browser("auditor")
    headers = token_for(client, "auditor")
    openapi = app.openapi()
    for path in _paths(route_path, target):
        before = _snapshot()
        resp = _call(client, auditor, headers, method, path, rc, openapi, route_path)
        if (method, route_path) not in EXCEPTIONS:
            allowed = REFUSED | ({404} if route_path in NOT_FOUND_DOCUMENTED else set())
            assert resp.status_code in allowed, f"{method} {path}: {resp.status_code} {resp.text[:300]}"
        if (method, route_path) not in ROW_CHANGE_ALLOWED:
            assert _snapshot() == before, f"{method} {path} changed the database ({resp.status_code})"
    with transaction() as session:  # the instance the auditor aimed at is untouched
        instance = session.get(ProcessInstance, target["instance_id"])
        task = session.get(HumanTask, target["task_id"])
        assert instance is not None and task is not None
        assert (instance.status, task.status, task.assignee) == (InstanceStatus.RUNNING, TaskStatus.OPEN, "sales")


def test_the_route_list_covers_api_and_pages() -> None:
    paths = {p for _, p, _ in ROUTES}
    assert "/api/v1/tasks/{task_id}/complete" in paths and "/instances/{instance_id}/{action}" in paths
    assert len(ROUTES) >= 20


def test_an_auditors_message_does_not_reach_a_waiting_instance(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    """The generic walk cannot know a waiting message: this one exists, and the auditor is still refused."""
    run = uuid.uuid4().hex[:8]
    key, message, order = f"ro_wait_{run}", f"ro_paid_{run}", f"SO-{run}"
    with transaction() as session:
        deployment.deploy(session=session, files=samples.bundle(samples.waiting_process(key=key, message=message),
                                                                name=f"{key}.bpmn"), actor="owner")
    started = client.post("/api/v1/process-instances", headers=as_user("sales"),
                          json={"process_key": key, "variables": {"order_number": order}})
    assert started.status_code == 201, started.text
    auditor = as_user("auditor")  # the token row first: it is the one row an auditor adds
    before = _snapshot()
    resp = client.post(f"/api/v1/messages/{message}", headers=auditor,
                       json={"correlation": {"order_number": order}, "payload": {"amount": 1}})
    assert (resp.status_code, resp.json()["code"]) == (403, "read_only")
    assert _snapshot() == before
