"""The sandbox that runs diagram scripts and expressions: what works, what is refused, and how it plugs into Spiff."""

from __future__ import annotations

from decimal import Decimal
from types import ModuleType
from typing import Any

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from engine.sandbox import SandboxEnvironment, SandboxError, check_expression, check_script, money

LINES = [
    {"q": Decimal("2"), "p": Decimal("19.99")},
    {"q": Decimal("3"), "p": Decimal("70.00")},
]


@pytest.fixture
def env() -> SandboxEnvironment:
    return SandboxEnvironment()


def run(env: SandboxEnvironment, script: str, **data: Any) -> dict[str, Any]:
    env.execute(script, data)
    return data


# What diagram authors need -------------------------------------------------------------------------------------------


def test_decimal_line_total_with_generator_expression(env: SandboxEnvironment) -> None:
    assert env.evaluate('sum(line["q"] * line["p"] for line in lines)', {"lines": LINES}) == Decimal("249.98")


def test_comprehensions_over_task_data(env: SandboxEnvironment) -> None:
    result = env.evaluate('{i: l["q"] for i, l in enumerate(lines) if l["p"] > 50}', {"lines": LINES})
    assert result == {1: Decimal("3")}


def test_script_assignments_update_task_data(env: SandboxEnvironment) -> None:
    data = run(env, 'total = sum(l["q"] * l["p"] for l in lines)\nvat = money(total * Decimal("0.19"))', lines=LINES)
    assert data["total"] == Decimal("249.98")
    assert data["vat"] == Decimal("47.50")


def test_script_leaves_no_callables_modules_or_builtins_in_task_data(env: SandboxEnvironment) -> None:
    script = "def double(x):\n    return x * 2\nf = lambda x: x\nm = money\ng = (x for x in lines)\nn = double(2)"
    data = run(env, script, lines=LINES)
    assert set(data) == {"lines", "n"}
    assert "__builtins__" not in data
    assert not any(callable(v) or isinstance(v, ModuleType) for v in data.values())


def test_script_temporaries_that_are_plain_data_are_kept(env: SandboxEnvironment) -> None:
    assert run(env, "for x in [1, 2]:\n    last = x")["last"] == 2


def test_failing_script_leaves_task_data_names_unchanged(env: SandboxEnvironment) -> None:
    data = {"total": 1}
    with pytest.raises(ZeroDivisionError):
        env.execute("total = 2\nother = 1 / 0", data)
    assert data == {"total": 1}


def test_script_can_delete_task_data(env: SandboxEnvironment) -> None:
    assert "draft" not in run(env, "del draft", draft=True)


def test_script_can_modify_dicts_and_lists_in_task_data(env: SandboxEnvironment) -> None:
    data = run(env, 'order["status"] = "ok"\nitems[0] = 9\nitems.append(1)\ntags.add("x")',
               order={}, items=[0], tags=set())
    assert data["order"] == {"status": "ok"} and data["items"] == [9, 1] and data["tags"] == {"x"}


@pytest.mark.parametrize(("script", "expected"), [
    ("x = 1\nx += 2\nx -= 1\nx *= 6\nx /= 4", 3.0),
    ('x = Decimal("1.10")\nx += Decimal("2.20")\nx *= 2', Decimal("6.60")),
    ('x = "ab"\nx += "c"\nx *= 2', "abcabc"),
    ("x = [1]\nx += [2]", [1, 2]),
    ("x = 7\nx //= 2\nx **= 2\nx %= 5", 4),
])
def test_augmented_assignment(env: SandboxEnvironment, script: str, expected: Any) -> None:
    assert run(env, script)["x"] == expected


@pytest.mark.parametrize(("condition", "expected"), [("total > 100", True), ("total <= 100", False),
                                                     ('status == "open" and total > 0', True)])
def test_conditions_evaluate_to_bools(env: SandboxEnvironment, condition: str, expected: bool) -> None:
    assert env.evaluate(condition, {"total": Decimal("120.00"), "status": "open"}) is expected


def test_condition_with_surrounding_whitespace_evaluates(env: SandboxEnvironment) -> None:
    assert env.evaluate("\n    total > 100\n  ", {"total": 101}) is True


def test_external_context_is_visible_to_expressions(env: SandboxEnvironment) -> None:
    assert env.evaluate("limit - used", {"used": 3}, external_context={"limit": 10}) == 7


def test_money_rounds_half_up_to_cents() -> None:
    assert money(0.125) == Decimal("0.13") and money("10") == Decimal("10.00")


def test_missing_attribute_raises_instead_of_reading_none(env: SandboxEnvironment) -> None:
    with pytest.raises(AttributeError):
        env.evaluate("total.nope", {"total": Decimal("1")})


def test_same_source_compiles_once(env: SandboxEnvironment) -> None:
    from engine.sandbox import _compile

    env.evaluate("a + 1 == 2", {"a": 1})
    hits = _compile.cache_info().hits
    env.evaluate("a + 1 == 2", {"a": 5})
    assert _compile.cache_info().hits == hits + 1


# Known escapes -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("script", ["import os", "from os import system", "import os as o\no.system('id')"])
def test_import_statements_do_not_compile(script: str) -> None:
    with pytest.raises(SandboxError, match="Import"):
        check_script(script)


def test_dunder_import_does_not_compile() -> None:
    with pytest.raises(SandboxError, match="__import__"):
        check_expression("__import__('os')")


@pytest.mark.parametrize("expression", [
    "().__class__.__base__.__subclasses__()",
    "(lambda: 0).__globals__",
    "x.__dict__",
    "[c for c in ().__class__.__mro__]",
    'f"{x.__class__}"',
    "x._private",
])
def test_underscore_attribute_access_does_not_compile(expression: str) -> None:
    with pytest.raises(SandboxError, match="starts with"):
        check_expression(expression)


@pytest.mark.parametrize("expression", ["(x for x in []).gi_frame.f_globals", "(x for x in []).gi_code"])
def test_generator_frame_walking_does_not_compile(expression: str) -> None:
    with pytest.raises(SandboxError, match="restricted name"):
        check_expression(expression)


@pytest.mark.parametrize("expression", ["eval('1')", "exec('x=1')"])
def test_eval_and_exec_do_not_compile(expression: str) -> None:
    with pytest.raises(SandboxError, match="calls are not allowed"):
        check_expression(expression)


@pytest.mark.parametrize("expression", [
    "open('/etc/passwd')", "getattr(x, '__class__')", "type(x)", "compile('1', '', 'eval')", "globals()", "vars()",
    "dir()", "locals()", "setattr(x, 'a', 1)",
])
def test_unavailable_builtin_calls_do_not_compile(expression: str) -> None:
    with pytest.raises(SandboxError, match="is not available"):
        check_expression(expression)


@pytest.mark.parametrize("name", ["open", "getattr", "type", "compile", "globals", "vars", "dir", "SystemExit"])
def test_unavailable_builtins_are_absent_at_run_time(env: SandboxEnvironment, name: str) -> None:
    # An alias compiles (no call), so this reaches the run-time layer: the name must not exist there either.
    with pytest.raises(NameError):
        env.execute(f"alias = {name}", {})


def test_class_definitions_do_not_compile() -> None:
    with pytest.raises(SandboxError, match="Class definitions"):
        check_script("class A:\n    pass")


@pytest.mark.parametrize("expression", ["'{0.__class__}'.format(1)", "'{0.__class__}'.format_map({})",
                                        "str.format('{0.__class__}', 1)"])
def test_str_format_attribute_escape_is_refused(env: SandboxEnvironment, expression: str) -> None:
    with pytest.raises(NotImplementedError, match="format"):
        env.evaluate(expression, {})


def test_task_data_cannot_replace_a_guard(env: SandboxEnvironment) -> None:
    with pytest.raises(NotImplementedError, match="format"):
        env.evaluate("'{0}'.format(1)", {"_getattr_": getattr})


# Resource limits -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("expression", ["range(10**9)", "list(range(0, 10**6, 2))", "range(2**70)"])
def test_range_is_limited(env: SandboxEnvironment, expression: str) -> None:
    with pytest.raises(SandboxError, match="range"):
        env.evaluate(expression, {})


def test_range_within_limit_works(env: SandboxEnvironment) -> None:
    assert env.evaluate("len(range(100_000))", {}) == 100_000


@pytest.mark.parametrize("expression", ["2 ** 1001", "pow(2, 5000)", "Decimal(2) ** 2000", "(10 ** 1000) ** 1000"])
def test_huge_powers_are_refused(env: SandboxEnvironment, expression: str) -> None:
    with pytest.raises(SandboxError):
        env.evaluate(expression, {})


def test_huge_power_by_augmented_assignment_is_refused(env: SandboxEnvironment) -> None:
    with pytest.raises(SandboxError, match="Exponent"):
        env.execute("x = 2\nx **= 10**6", {})


@pytest.mark.parametrize("expression", ["'x' * 10**9", "[0] * 10**7", "1 << 10**6"])
def test_huge_repetitions_and_shifts_are_refused(env: SandboxEnvironment, expression: str) -> None:
    with pytest.raises(SandboxError, match="size limit"):
        env.evaluate(expression, {})


def test_source_over_length_limit_is_refused() -> None:
    with pytest.raises(SandboxError, match="limit is 20000"):
        check_script("x = 1\n" * 4000)


# Deploy-time checks --------------------------------------------------------------------------------------------------


def test_check_script_reports_the_line_of_the_bad_statement() -> None:
    with pytest.raises(SandboxError) as caught:
        check_script("a = 1\nb = 2\nc = ().__class__")
    assert caught.value.line == 3
    assert caught.value.message.startswith('line 3: "__class__" is an invalid attribute name')
    assert caught.value.code == "script_error"


def test_check_expression_reports_the_line_of_the_bad_part() -> None:
    with pytest.raises(SandboxError) as caught:
        check_expression("(a +\n b +\n c.__dict__)")
    assert caught.value.line == 3


def test_syntax_error_reports_its_line() -> None:
    with pytest.raises(SandboxError) as caught:
        check_script("a = 1\nb = 2\nc = = 3")
    assert caught.value.line == 3 and "SyntaxError" in caught.value.message


def test_valid_script_and_expression_pass_the_check() -> None:
    check_script('total = sum(l["q"] * l["p"] for l in lines)\nbig = total > 100')
    check_expression("total > 100 and type == 'premium'")


# Inside a real SpiffWorkflow process ---------------------------------------------------------------------------------

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="Definitions_Sandbox"
                  targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="Process_Sandbox" isExecutable="true">
    <bpmn:startEvent id="Event_Start"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="Event_Start" targetRef="Activity_Total" />
    <bpmn:scriptTask id="Activity_Total" scriptFormat="python">
      <bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing>
      <bpmn:script>SCRIPT</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Activity_Total" targetRef="Gateway_Big" />
    <bpmn:exclusiveGateway id="Gateway_Big" default="Flow_Small">
      <bpmn:incoming>Flow_2</bpmn:incoming>
      <bpmn:outgoing>Flow_Big</bpmn:outgoing><bpmn:outgoing>Flow_Small</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="Flow_Big" sourceRef="Gateway_Big" targetRef="Event_Big">
      <bpmn:conditionExpression>total &gt; 100</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Flow_Small" sourceRef="Gateway_Big" targetRef="Event_Small" />
    <bpmn:endEvent id="Event_Big"><bpmn:incoming>Flow_Big</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="Event_Small"><bpmn:incoming>Flow_Small</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def start_workflow(script: str, lines: list[dict[str, Any]]) -> BpmnWorkflow:
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_str(BPMN.replace("SCRIPT", script).encode())
    workflow = BpmnWorkflow(parser.get_spec("Process_Sandbox"),
                            script_engine=PythonScriptEngine(environment=SandboxEnvironment()))
    workflow.get_tasks(state=TaskState.READY)[0].data = {"lines": lines}
    return workflow


def completed_ids(workflow: BpmnWorkflow) -> set[str]:
    return {task.task_spec.name for task in workflow.get_tasks(state=TaskState.COMPLETED)}


@pytest.mark.parametrize(("lines", "end", "not_end"), [
    (LINES, "Event_Big", "Event_Small"),
    ([{"q": Decimal("1"), "p": Decimal("5.00")}], "Event_Small", "Event_Big"),
])
def test_bpmn_script_total_decides_the_gateway_path(lines: list[dict[str, Any]], end: str, not_end: str) -> None:
    workflow = start_workflow('total = sum(l["q"] * l["p"] for l in lines)', lines)
    workflow.do_engine_steps()
    assert workflow.is_completed()
    assert end in completed_ids(workflow) and not_end not in completed_ids(workflow)
    assert set(workflow.data) == {"lines", "total"}


def test_bpmn_script_with_dunder_import_fails_the_task_without_running() -> None:
    workflow = start_workflow("__import__('os').system('touch /tmp/pwned')\ntotal = 1", LINES)
    with pytest.raises(WorkflowException, match="__import__"):
        workflow.do_engine_steps()
    failed = workflow.get_tasks(state=TaskState.ERROR)
    assert [task.task_spec.name for task in failed] == ["Activity_Total"]
    assert "total" not in failed[0].data
