"""Due dates in diagrams: ISO 8601 durations, checked at deploy, applied to new human tasks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from domain.errors import InvalidInput
from engine import deployment
from engine.bundle import DefinitionRefused
from engine.durations import parse_duration
from tests.bpmn_samples import bundle, simple_process


@pytest.mark.parametrize(("text", "expected"), [
    ("PT4H", timedelta(hours=4)),
    ("P3D", timedelta(days=3)),
    ("P1DT12H30M", timedelta(days=1, hours=12, minutes=30)),
    ("P2W", timedelta(weeks=2)),
    ("PT45S", timedelta(seconds=45)),
])
def test_iso_durations_parse(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "P", "PT", "4 hours", "P1M", "P1Y", "PT", "P1DT"])
def test_bad_or_variable_length_durations_are_rejected(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_duration(text)


def test_a_bad_due_in_is_refused_at_deploy(session: Session) -> None:
    bpmn = simple_process(key="due_bad").replace(
        '<spiffworkflow:property name="formJsonSchemaFilename"',
        '<spiffworkflow:property name="dueIn" value="tomorrow"/><spiffworkflow:property name="formJsonSchemaFilename"')
    with pytest.raises(DefinitionRefused) as info:
        deployment.deploy(session=session, files=bundle(bpmn), actor="owner")
    assert info.value.problems[0].element_id == "Activity_Review"
    assert "dueIn" in info.value.problems[0].message
