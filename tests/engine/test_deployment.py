"""Deployment refuses what cannot run, with element-level messages, and versions by content hash."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import deployment
from engine.bundle import BundleFile, DefinitionRefused
from engine.models import ProcessDefinition
from tests.bpmn_samples import HEADER, bundle, simple_process


def _refused(session: Session, files: list[BundleFile]) -> DefinitionRefused:
    before = session.scalar(select(func.count()).select_from(ProcessDefinition))
    with pytest.raises(DefinitionRefused) as info:
        deployment.deploy(session=session, files=files, actor="owner")
    assert session.scalar(select(func.count()).select_from(ProcessDefinition)) == before
    return info.value


def test_valid_bundle_deploys_as_version_one(session: Session) -> None:
    [result] = deployment.deploy(session=session, files=bundle(simple_process(key="dep_v1")), actor="owner")
    assert result.created and result.definition.version == 1
    assert result.definition.lane_groups == {"Reviewers": "reviewers"}
    assert set(result.definition.forms) == {"review.schema.json"}


def test_identical_content_keeps_the_version_and_new_content_makes_the_next(session: Session) -> None:
    first = deployment.deploy(session=session, files=bundle(simple_process(key="dep_hash")), actor="owner")[0]
    again = deployment.deploy(session=session, files=bundle(simple_process(key="dep_hash")), actor="owner")[0]
    changed = deployment.deploy(
        session=session, files=bundle(simple_process(key="dep_hash", condition="total > 500")), actor="owner"
    )[0]
    assert (again.created, again.definition.id) == (False, first.definition.id)
    assert (changed.created, changed.definition.version) == (True, 2)


def test_malformed_xml_is_refused_with_its_line(session: Session) -> None:
    broken = HEADER + "<bpmn:process id='x'>\n<oops></bpmn:process>"
    err = _refused(session, [BundleFile("broken.bpmn", broken.encode())])
    assert "malformed XML" in err.problems[0].message
    assert err.problems[0].line == 4


def test_entity_expansion_is_refused(session: Session) -> None:
    bomb = (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol2;</bpmn:definitions>'
    )
    err = _refused(session, [BundleFile("bomb.bpmn", bomb.encode())])
    assert "DOCTYPE" in err.problems[0].message


def test_external_entity_is_refused(session: Session) -> None:
    xxe = (
        '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;</bpmn:definitions>'
    )
    err = _refused(session, [BundleFile("xxe.bpmn", xxe.encode())])
    assert "DOCTYPE" in err.problems[0].message


def test_script_with_dunder_import_is_refused_at_its_element(session: Session) -> None:
    err = _refused(session, bundle(simple_process(key="dep_evil", script="x = __import__('os').system('id')")))
    problem = err.problems[0]
    assert problem.element_id == "Activity_Compute"
    assert "sandbox" in problem.message and problem.line is not None


def test_condition_that_does_not_compile_is_refused(session: Session) -> None:
    err = _refused(session, bundle(simple_process(key="dep_cond", condition="total &gt;")))
    assert err.problems[0].element_id == "Flow_Big"


def test_juel_condition_gets_a_hint(session: Session) -> None:
    err = _refused(session, bundle(simple_process(key="dep_juel", condition="${total &gt; 100}")))
    assert "JUEL" in err.problems[0].message


def test_unknown_service_operator_is_refused(session: Session) -> None:
    service = (
        '<bpmn:serviceTask id="Activity_Call" name="Call"><bpmn:extensionElements>'
        '<spiffworkflow:serviceTaskOperator id="crm.launch_rockets" resultVariable="r"/>'
        "</bpmn:extensionElements></bpmn:serviceTask>\n"
    )
    err = _refused(session, bundle(simple_process(key="dep_op", extra_tasks=service)))
    assert any(p.message == "unknown service operator 'crm.launch_rockets'" for p in err.problems)


def test_missing_form_is_refused(session: Session) -> None:
    err = _refused(session, [BundleFile("f.bpmn", simple_process(key="dep_form", form="nowhere.json").encode())])
    assert err.problems[0].element_id == "Activity_Review"
    assert "nowhere.json" in err.problems[0].message


def test_user_task_without_form_is_accepted(session: Session) -> None:
    [result] = deployment.deploy(
        session=session, files=[BundleFile("nf.bpmn", simple_process(key="dep_noform", form=None).encode())],
        actor="owner",
    )
    assert result.created and result.definition.forms == {}


def test_reserved_ids_are_refused(session: Session) -> None:
    err = _refused(session, bundle(simple_process(key="dep_reserved", task_id="End")))
    assert any(p.element_id == "End" and "reserved" in p.message for p in err.problems)


def test_schema_invalid_bpmn_is_refused(session: Session) -> None:
    bad = simple_process(key="dep_schema").replace("<bpmn:startEvent", "<bpmn:startEventt").replace(
        "</bpmn:startEvent>", "</bpmn:startEventt>"
    )
    err = _refused(session, bundle(bad))
    assert err.problems[0].line is not None


def test_invalid_form_schema_is_refused(session: Session) -> None:
    err = _refused(session, bundle(simple_process(key="dep_badform"), form={"type": "objekt"}))
    assert "not a valid JSON Schema" in err.problems[0].message


def test_a_timer_that_is_not_iso_8601_is_refused_at_its_element(session: Session) -> None:
    from tests.timer_samples import intermediate_timer

    err = _refused(session, [BundleFile("t.bpmn", intermediate_timer("dep_timer", "PT1X").encode())])
    assert err.problems[0].element_id == "Event_Wait"
    assert "not a valid ISO 8601 duration" in err.problems[0].message


def test_a_timer_computed_from_task_data_is_accepted(session: Session) -> None:
    from tests.timer_samples import intermediate_timer

    xml = intermediate_timer("dep_timer_expr").replace('"PT1H"', 'f"PT{hours}H"')
    [result] = deployment.deploy(session=session, files=[BundleFile("t.bpmn", xml.encode())], actor="owner")
    assert result.created


def test_a_juel_timer_expression_is_refused(session: Session) -> None:
    from tests.timer_samples import intermediate_timer

    xml = intermediate_timer("dep_timer_juel").replace('"PT1H"', "${duration}")
    err = _refused(session, [BundleFile("t.bpmn", xml.encode())])
    assert "JUEL" in err.problems[0].message
