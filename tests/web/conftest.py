"""A seeded world for web and API tests: demo users, master data and deployed processes, committed once."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from fastapi import FastAPI
from fastapi.testclient import TestClient

from domain.db import transaction
from tests.factories import make_customer, make_item, make_warehouse, receive
from web.app import create_app
from web.i18n import translations


@pytest.fixture(scope="session")
def app(world: None):  # type: ignore[no-untyped-def]
    return create_app()


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as c:
        yield c


def token_for(client: TestClient, username: str, password: str = "demo") -> dict[str, str]:
    """Authorization headers for a demo user."""
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


@pytest.fixture
def as_user(client: TestClient):  # type: ignore[no-untyped-def]
    """as_user('sales') -> headers, cached per test."""
    cache: dict[str, dict[str, str]] = {}

    def _headers(username: str) -> dict[str, str]:
        if username not in cache:
            cache[username] = token_for(client, username)
        return cache[username]

    return _headers


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TRANSLATIONS = Path(__file__).resolve().parents[2] / "web" / "translations"


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs() -> None:
    """Compile the .po catalogs whose .mo is missing or stale (`make i18n` does this at install)."""
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source:
                catalog = read_po(source)
            with mo.open("wb") as target:
                write_mo(target, catalog)
    translations.cache_clear()


class Browser:
    """A TestClient used like a browser: HTML accepted, forms posted with the page's CSRF token."""

    def __init__(self, app: FastAPI, accept_language: str = "en") -> None:
        self.client = TestClient(app, headers={"accept": "text/html", "accept-language": accept_language})
        self.token = ""

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        response = self.client.get(path, **kwargs)
        self._remember(response)
        return response

    def post(self, path: str, data: dict[str, Any] | None = None, *, htmx: bool = False, csrf: bool = True,
             follow: bool = True) -> httpx.Response:
        if csrf and not self.token:
            self.get("/login")
        body, headers = dict(data or {}), {}
        if htmx:
            headers = {"HX-Request": "true", **({"X-CSRF-Token": self.token} if csrf else {})}
        elif csrf:
            body["csrf_token"] = self.token
        response = self.client.post(path, data=body, headers=headers, follow_redirects=follow)
        self._remember(response)
        return response

    def login(self, username: str, password: str = "demo") -> httpx.Response:
        self.get("/login")
        return self.post("/login", {"username": username, "password": password})

    def _remember(self, response: httpx.Response) -> None:
        if match := CSRF.search(response.text):
            self.token = match.group(1)


@pytest.fixture
def browser(app: FastAPI) -> Callable[..., Browser]:
    """browser('sales') -> a signed-in Browser; browser() -> anonymous."""

    def _make(username: str | None = None, accept_language: str = "en") -> Browser:
        b = Browser(app, accept_language)
        if username:
            assert b.login(username).status_code == 200
        return b

    return _make


def unique(prefix: str = "PG") -> str:
    """A fresh code: the database is shared by the whole test run."""
    return f"{prefix}-{uuid.uuid4().hex[:8].upper()}"


@pytest.fixture
def goods(world: None) -> tuple[str, str]:
    """A fresh regular customer and a fresh item (list price 2600.00) with 100 in stock: (customer code, sku)."""
    with transaction() as session:
        customer = make_customer(session, name=f"Pages Test {unique()}", tier="regular",
                                 credit_limit=Decimal("1000000.00"))
        item = make_item(session, sku=unique("PUMP"), name="Test pump", list_price=Decimal("2600.00"))
        receive(session, item, make_warehouse(session), "100")
        return customer.code, item.sku
