"""Diagrams deployed without BPMNDI are drawn with an automatic layout; the download stays as deployed."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from engine.runtime import Actor
from tests.bpmn_samples import simple_process
from tests.flow import deploy_xml, start
from tests.web.conftest import Browser


def test_a_diagram_without_bpmndi_is_served_laid_out_to_the_viewer(
        world: None, browser: Callable[..., Browser]) -> None:
    key = f"bare_{uuid.uuid4().hex[:6]}"
    xml = simple_process(key=key, form=None)
    assert "BPMNShape" not in xml
    deploy_xml(f"{key}.bpmn", xml)
    owner = browser("owner")
    drawn = owner.get(f"/processes/{key}/1/diagram.bpmn")
    assert drawn.status_code == 200 and drawn.text.count("BPMNShape") >= 3 and "BPMNEdge" in drawn.text
    downloaded = owner.get(f"/processes/{key}/1/download.bpmn")
    assert "BPMNShape" not in downloaded.text, "the download is the file as deployed"
    instance = start(key, {"amount": 2}, actor=Actor("rita", {"reviewers"}))
    assert "BPMNShape" in browser("admin").get(f"/instances/{instance}/diagram.bpmn").text
    assert "BPMNShape" in browser("manager").get(f"/dashboards/{key}/diagram.bpmn").text, "the heatmap's diagram too"
