"""The dashboard pages: process list, one process's dashboard with its heatmap data, the drill-down, access."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from domain.db import transaction
from engine.models import ProcessInstance
from tests.web.conftest import Browser
from tests.web.test_api_metrics import Sample, deploy_sample


@pytest.fixture
def sample(world: None) -> Sample:
    return deploy_sample()


def embedded(html: str, element_id: str) -> Any:
    match = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', html, re.S)
    assert match, f"no #{element_id}"
    return json.loads(match.group(1))


def tile(html: str, name: str) -> str:
    match = re.search(rf'id="kpi-{name}"><span class="value">([^<]*)</span>', html)
    assert match, f"no tile {name}"
    return match.group(1)


def test_the_dashboards_page_lists_deployed_processes(browser: Callable[..., Browser]) -> None:
    resp = browser("manager").get("/dashboards")
    assert resp.status_code == 200
    assert 'href="/dashboards/lead_to_cash"' in resp.text


def test_a_dashboard_shows_the_customers_kpis_in_tiles(browser: Callable[..., Browser], sample: Sample) -> None:
    resp = browser("manager").get(f"/dashboards/{sample.key}")
    assert resp.status_code == 200
    assert (tile(resp.text, "started"), tile(resp.text, "completed"), tile(resp.text, "running")) == ("3", "1", "2")


def test_the_page_carries_the_total_heatmap_with_passed_and_waiting(browser: Callable[..., Browser],
                                                                     sample: Sample) -> None:
    heat = embedded(browser("manager").get(f"/dashboards/{sample.key}").text, "heatmap-data")
    assert set(heat) == {"total"}
    assert (heat["total"]["Activity_Review"]["passed"], heat["total"]["Activity_Review"]["waiting"]) == (1, 1)
    assert heat["total"]["Activity_Check"]["human"] is False


def test_the_mode_switch_loads_waiting_time_with_the_same_filters(browser: Callable[..., Browser],
                                                                  sample: Sample) -> None:
    b = browser("manager")
    url = re.search(r'data-figures="([^"]+)"', b.get(f"/dashboards/{sample.key}?customer_tier=key").text)
    assert url
    resp = b.get(url.group(1).replace("&amp;", "&") + "&mode=waiting")
    assert resp.status_code == 200
    figures = resp.json()
    assert figures["Activity_Review"]["passed"] == 1
    assert figures["Activity_Check"]["mean"] is None  # not a human task: no waiting time


def test_the_charts_get_started_and_completed_per_day(browser: Callable[..., Browser], sample: Sample) -> None:
    charts = embedded(browser("manager").get(f"/dashboards/{sample.key}").text, "chart-data")
    assert (sum(charts["started"]), sum(charts["completed"]), sum(charts["cycle_counts"])) == (3, 1, 1)
    assert len(charts["days"]) == len(charts["started"]) == 30


def test_the_drill_down_fragment_lists_the_waiting_instance(browser: Callable[..., Browser], sample: Sample) -> None:
    with transaction() as session:
        waiting = session.get(ProcessInstance, sample.at_review)
        assert waiting is not None
        business_key = waiting.business_key
    resp = browser("manager").client.get(
        f"/dashboards/{sample.key}/waiting/Activity_Review",
        headers={"HX-Request": "true"})
    assert resp.status_code == 200
    assert "<html" not in resp.text
    assert re.findall(r'href="/instances/(\d+)"', resp.text) == [str(sample.at_review)]
    assert business_key and business_key in resp.text


def test_the_diagram_for_the_heatmap_is_served_to_auditors(browser: Callable[..., Browser], sample: Sample) -> None:
    resp = browser("auditor").get(f"/dashboards/{sample.key}/diagram.bpmn")
    assert resp.status_code == 200
    assert "Gateway_Big" in resp.text


@pytest.mark.parametrize("username", ["manager", "owner", "admin", "auditor"])
def test_monitoring_groups_may_open_a_dashboard(browser: Callable[..., Browser], username: str) -> None:
    assert browser(username).get("/dashboards/lead_to_cash").status_code == 200


@pytest.mark.parametrize("path", ["/dashboards", "/dashboards/lead_to_cash", "/dashboards/lead_to_cash/diagram.bpmn"])
def test_others_are_refused(browser: Callable[..., Browser], path: str) -> None:
    assert browser("sales").get(path).status_code == 403


def test_an_unknown_version_is_not_found(browser: Callable[..., Browser]) -> None:
    assert browser("manager").get("/dashboards/lead_to_cash?version=999").status_code == 404
