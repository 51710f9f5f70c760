"""Driving a process through /api/v1 as the demo users do, with time moved by the test's clock."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests import flow
from tests.conftest import MovableClock
from tests.web.conftest import token_for


class Desk:
    """The API as the demo users use it; tokens are renewed when the clock has moved (they last 12 hours)."""

    def __init__(self, client: TestClient, clock: MovableClock) -> None:
        self.client, self.clock = client, clock
        self.tokens: dict[str, dict[str, str]] = {}

    def headers(self, username: str) -> dict[str, str]:
        if username not in self.tokens:
            self.tokens[username] = token_for(self.client, username)
        return self.tokens[username]

    def advance(self, **delta: float) -> None:
        """Move time on and let the worker run whatever fell due."""
        self.clock.advance(**delta)
        self.tokens.clear()
        flow.run_due_jobs()

    def start_process(self, key: str, username: str, variables: dict[str, Any]) -> int:
        """Start key as username with its start form's data; the instance id."""
        resp = self.client.post("/api/v1/process-instances", headers=self.headers(username),
                                json={"process_key": key, "variables": variables})
        assert resp.status_code == 201, resp.text
        return int(resp.json()["id"])

    def instance(self, iid: int) -> dict[str, Any]:
        resp = self.client.get(f"/api/v1/process-instances/{iid}", headers=self.headers("admin"))
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    def variables(self, iid: int) -> dict[str, Any]:
        return dict(self.instance(iid)["variables"])

    def tasks(self, iid: int) -> list[str]:
        return sorted(t["element_id"] for t in self.instance(iid)["open_tasks"])

    def task(self, iid: int, element_id: str) -> dict[str, Any]:
        [task] = [t for t in self.instance(iid)["open_tasks"] if t["element_id"] == element_id]
        return dict(task)

    def complete(self, iid: int, element_id: str, username: str, data: dict[str, Any]) -> dict[str, Any]:
        task = self.task(iid, element_id)
        resp = self.client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": data},
                                headers=self.headers(username))
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    def send(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        resp = self.client.post(f"/api/v1/messages/{name}", json=body, headers=self.headers("admin"))
        assert resp.status_code == 200, resp.text
        return dict(resp.json())
