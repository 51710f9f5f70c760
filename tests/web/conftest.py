"""A seeded world for web and API tests: demo users, master data and deployed processes, committed once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from web.app import create_app


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
