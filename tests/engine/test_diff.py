"""The difference between two versions: elements added, removed and changed, matched by id."""

from __future__ import annotations

from engine.diff import diff_xml
from tests.bpmn_samples import simple_process

EXTRA = ('<bpmn:manualTask id="Activity_Archive" name="Archive"/>\n'
         '<bpmn:manualTask id="Activity_Call" name="Call customer"/>\n')


def _before() -> str:
    return simple_process(key="diffed", extra_tasks=EXTRA)


def _after() -> str:
    """Add a task, rename one, change a condition, remove one."""
    extra = EXTRA.replace("Activity_Archive", "Activity_Notify").replace('name="Archive"', 'name="Notify"')
    return (simple_process(key="diffed", condition="total &gt; 500", extra_tasks=extra)
            .replace('name="Call customer"', 'name="Phone customer"'))


def test_identical_versions_have_no_differences() -> None:
    assert diff_xml(_before(), _before()).empty


def test_an_added_task_is_listed_as_added() -> None:
    added = diff_xml(_before(), _after()).added
    assert [(e.id, e.type, e.name) for e in added] == [("Activity_Notify", "manualTask", "Notify")]


def test_a_removed_task_is_listed_as_removed() -> None:
    assert [e.id for e in diff_xml(_before(), _after()).removed] == ["Activity_Archive"]


def test_a_renamed_task_is_changed_in_its_name() -> None:
    changed = {c.element.id: c for c in diff_xml(_before(), _after()).changed}
    [change] = changed["Activity_Call"].changes
    assert (change.aspect, change.before, change.after) == ("name", "Call customer", "Phone customer")


def test_a_changed_condition_shows_before_and_after() -> None:
    changed = {c.element.id: c for c in diff_xml(_before(), _after()).changed}
    [change] = changed["Flow_Big"].changes
    assert (change.aspect, change.before, change.after) == ("condition", "total > 100", "total > 500")


def test_only_the_touched_elements_are_changed() -> None:
    assert {c.element.id for c in diff_xml(_before(), _after()).changed} == {"Activity_Call", "Flow_Big"}


def test_scripts_extensions_type_and_flows_count_as_changes() -> None:
    before = simple_process(key="d2")
    after = (simple_process(key="d2", script="total = amount * 3", form="other.schema.json")
             .replace("<bpmn:userTask", "<bpmn:manualTask").replace("</bpmn:userTask>", "</bpmn:manualTask>"))
    changed = {c.element.id: {a.aspect for a in c.changes} for c in diff_xml(before, after).changed}
    assert changed["Activity_Compute"] == {"script"}
    assert changed["Activity_Review"] == {"type", "extensions"}


def test_rewired_flows_change_incoming_and_outgoing() -> None:
    before = simple_process(key="d3")
    after = before.replace('<bpmn:outgoing>Flow_3</bpmn:outgoing>', '<bpmn:outgoing>Flow_9</bpmn:outgoing>')
    [changed] = diff_xml(before, after).changed
    assert changed.element.id == "Activity_Review" and [a.aspect for a in changed.changes] == ["outgoing"]
