"""Restricted execution of diagram code: scripts, conditions, service parameters and DMN expressions.

Everything a process owner writes in a diagram is compiled with RestrictedPython (our policy below) and run with our
guarded globals, never with plain `exec`/`eval`.

What is limited: import statements, names and attributes starting with "_", frame/generator/code introspection,
`str.format`, `exec`/`eval`/`compile`/`open`/`getattr`/`type`/`vars`/`dir`/`globals`, class definitions, `SystemExit`;
source length (20,000 characters); `range` (100,000 items); `**` (exponent at most 1,000); `*`, `**`, `<<` results
(100,000 bits, 1,000,000 sequence items). NOT limited: CPU time and memory in general (`while True: pass`, nested
loops, `"x".ljust(10**9)`); the worker running the step is the backstop for those, not this module.
"""

from __future__ import annotations

import ast
import functools
import operator
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from types import CodeType, ModuleType
from typing import Any, Literal, NoReturn

from RestrictedPython import RestrictingNodeTransformer, compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import (
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safe_builtins,
    safer_getattr_raise,
)
from RestrictedPython.PrintCollector import PrintCollector
from RestrictedPython.transformer import copy_locations
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from domain.errors import InvalidInput

MAX_SOURCE_CHARS = 20_000
MAX_RANGE_ITEMS = 100_000
MAX_EXPONENT = 1_000
MAX_INT_BITS = 100_000
MAX_SEQUENCE_ITEMS = 1_000_000

# Not in the sandbox builtins, so they fail at run time anyway; calling them is also refused at compile time so a
# deploy reports it. Only calls: a form field may well be named "type".
_UNAVAILABLE_CALLS = frozenset({
    "open", "compile", "globals", "locals", "vars", "dir", "getattr", "setattr", "delattr", "hasattr", "type", "input",
    "breakpoint", "exit", "quit", "super", "object", "memoryview",
})
_ERROR_LINE = re.compile(r"^Line (\d+): (.*)$", re.DOTALL)


class SandboxError(InvalidInput):
    """Diagram code that does not compile in the sandbox, or that broke one of its limits while running."""

    code = "script_error"

    def __init__(self, message: str, *, line: int | None = None, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message if line is None else f"line {line}: {message}", code="script_error", errors=errors)
        self.line = line


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy, plus: no classes, and `**`, `*`, `<<` routed through a size guard."""

    _GUARDED = {ast.Pow: "**", ast.Mult: "*", ast.LShift: "<<"}

    def visit_Call(self, node: ast.Call) -> Any:
        if isinstance(node.func, ast.Name) and node.func.id in _UNAVAILABLE_CALLS:
            self.error(node, f"{node.func.id}() is not available in diagram scripts.")
        return super().visit_Call(node)

    def visit_Import(self, node: ast.Import) -> Any:
        # RestrictedPython compiles imports (and fails later for want of __import__); deploy must catch them.
        self.error(node, "Import statements are not allowed in diagram scripts.")
        return node

    visit_ImportFrom = visit_Import  # type: ignore[assignment]

    def visit_ClassDef(self, node: ast.ClassDef) -> Any:
        # Script-made classes would end up as instances in task data that the serializer cannot store.
        self.error(node, "Class definitions are not allowed in diagram scripts.")
        return node

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        node = self.node_contents_visit(node)
        symbol = self._GUARDED.get(type(node.op))
        if symbol is None:
            return node
        call = ast.Call(func=ast.Name("_binop_", ast.Load()), args=[ast.Constant(symbol), node.left, node.right],
                        keywords=[])
        copy_locations(call, node)
        return call


def _raise_compile_errors(errors: tuple[str, ...]) -> NoReturn:
    details: list[dict[str, Any]] = []
    for error in errors:
        match = _ERROR_LINE.match(error)
        line = int(match.group(1)) if match else None
        details.append({"line": line, "message": match.group(2) if match else error})
    first = details[0]
    raise SandboxError(first["message"], line=first["line"], errors=details)


@functools.lru_cache(maxsize=2048)
def _compile(source: str, mode: Literal["exec", "eval"]) -> CodeType:
    # Cached by source: the same gateway condition or DMN cell runs for every instance.
    if mode == "eval":  # conditions in BPMN XML often carry surrounding newlines, which eval mode rejects
        source = source.strip()
    if len(source) > MAX_SOURCE_CHARS:
        raise SandboxError(f"Script is {len(source)} characters long; the limit is {MAX_SOURCE_CHARS}.")
    # Filename "<string>" lets SpiffWorkflow's error handler find the failing line in the traceback.
    compile_fn = compile_restricted_exec if mode == "exec" else compile_restricted_eval
    result = compile_fn(source, filename="<string>", policy=_Policy)
    if result.errors:
        _raise_compile_errors(tuple(result.errors))
    assert result.code is not None
    return result.code


def check_script(source: str) -> None:
    """Raise SandboxError (with the line) if `source` does not compile as a sandboxed script."""
    _compile(source, "exec")


def check_expression(source: str) -> None:
    """Raise SandboxError (with the line) if `source` does not compile as a sandboxed expression."""
    _compile(source, "eval")


def money(value: Any) -> Decimal:
    """Return `value` as a Decimal rounded half-up to cents (via str, so floats do not bring binary noise)."""
    # Half-up, as on invoices; Decimal's default (half-even) would turn 0.125 into 0.12.
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _limited_range(*args: int) -> range:
    result = range(*args)
    try:
        size = len(result)
    except OverflowError:  # len() of a range beyond sys.maxsize items
        size = MAX_RANGE_ITEMS + 1
    if size > MAX_RANGE_ITEMS:
        raise SandboxError(f"range() is over the sandbox limit of {MAX_RANGE_ITEMS} items.")
    return result


def _check_size(op: str, left: Any, right: Any) -> None:
    # Refuse before computing: the danger is the allocation itself, which no later check can undo.
    if op == "**" and isinstance(right, int | float | Decimal) and not -MAX_EXPONENT <= right <= MAX_EXPONENT:
        raise SandboxError(f"Exponent {right} is over the sandbox limit of {MAX_EXPONENT}.")
    if isinstance(left, int) and isinstance(right, int):
        if op == "**":
            bits = left.bit_length() * max(right, 0)
        elif op == "<<":
            bits = left.bit_length() + max(right, 0)
        else:
            bits = left.bit_length() + right.bit_length()
        too_big = bits > MAX_INT_BITS
    else:
        seq, times = (left, right) if isinstance(right, int) else (right, left)
        too_big = (op == "*" and isinstance(seq, str | bytes | list | tuple) and isinstance(times, int)
                   and len(seq) * times > MAX_SEQUENCE_ITEMS)
    if too_big:
        raise SandboxError(f"The result of {op} would be over the sandbox size limit.")


_BINARY: dict[str, Callable[[Any, Any], Any]] = {"**": operator.pow, "*": operator.mul, "<<": operator.lshift}
_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow, "<<=": operator.ilshift,
    ">>=": operator.irshift, "&=": operator.iand, "|=": operator.ior, "^=": operator.ixor, "@=": operator.imatmul,
}


def _guarded_binop(op: str, left: Any, right: Any) -> Any:
    _check_size(op, left, right)
    return _BINARY[op](left, right)


def _guarded_inplace(op: str, target: Any, value: Any) -> Any:
    _check_size(op[:-1], target, value)
    return _INPLACE[op](target, value)


def _guarded_pow(base: Any, exponent: Any, modulo: Any = None) -> Any:
    if modulo is None:
        return _guarded_binop("**", base, exponent)
    return pow(base, exponent, modulo)  # modular pow stays below the modulus


def _guarded_getattr(obj: Any, name: str) -> Any:
    # safer_getattr already refuses "_" names, format() and frame attributes; the explicit check keeps that promise
    # even if a later RestrictedPython relaxes it. The raising variant: a typo must fail, not read as None.
    if name.startswith("_"):
        raise AttributeError(f'"{name}" is an invalid attribute name because it starts with "_".')
    return safer_getattr_raise(obj, name)


def _guarded_write(obj: Any) -> Any:
    # Item assignment only on plain containers (task data is JSON-like); anything else would need a security proxy.
    if isinstance(obj, dict | list | set):
        return obj
    raise SandboxError(f"Cannot modify an object of type {type(obj).__name__} in a diagram script.")


def _build_builtins() -> dict[str, Any]:
    names = dict(safe_builtins)
    # Not for diagrams: attribute writers, class machinery, and exceptions that would stop the worker itself.
    for name in ("_getattr_", "setattr", "delattr", "__build_class__", "SystemExit", "KeyboardInterrupt",
                 "GeneratorExit", "BaseException"):
        names.pop(name, None)
    names.update(
        Decimal=Decimal, date=date, datetime=datetime, timedelta=timedelta, money=money, range=_limited_range,
        pow=_guarded_pow, sum=sum, min=min, max=max, round=round, abs=abs, len=len, sorted=sorted, reversed=reversed,
        any=any, all=all, enumerate=enumerate, zip=zip, map=map, filter=filter, dict=dict, list=list, set=set,
        frozenset=frozenset, tuple=tuple, str=str, int=int, float=float, bool=bool,
    )
    return names


_SANDBOX_GLOBALS: dict[str, Any] = {
    "__builtins__": _build_builtins(),
    "_getattr_": _guarded_getattr,
    "_getitem_": operator.getitem,
    "_getiter_": iter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": _guarded_write,
    "_inplacevar_": _guarded_inplace,
    "_binop_": _guarded_binop,
    "_apply_": lambda func, *args, **kwargs: func(*args, **kwargs),
    "_print_": PrintCollector,
}


def _namespace(context: Mapping[str, Any], external_context: Mapping[str, Any] | None) -> dict[str, Any]:
    # Guards go last so task data (which users fill through forms) can never replace one.
    return {**(external_context or {}), **context, **_SANDBOX_GLOBALS}


def _is_plain_data(value: Any) -> bool:
    return not (callable(value) or isinstance(value, ModuleType | Iterator | range))


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow script environment that compiles and runs all diagram code in the sandbox."""

    def evaluate(self, expression: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> Any:
        """Evaluate `expression` with the task data (and external context) as variables."""
        return eval(_compile(expression, "eval"), _namespace(context, external_context))

    def execute(self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> bool:
        """Run `script`; its top-level assignments (plain data only) become the new task data `context`."""
        external = external_context or {}
        clashes = sorted(set(external) & set(context))
        if clashes:
            raise SandboxError(f"Task data overwrites predefined names; rename these fields: {', '.join(clashes)}")
        namespace = _namespace(context, external)
        exec(_compile(script, "exec"), namespace)
        # Only after success: a failing script leaves the task data's top-level names as they were.
        result = {
            key: value for key, value in namespace.items()
            if not key.startswith("_") and key not in external and _is_plain_data(value)
        }
        # Scripts cannot name "_" variables, so such task data (if any) is kept as it was, not as the guards shadow it.
        result.update((key, value) for key, value in context.items() if key.startswith("_"))
        context.clear()
        context.update(result)
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        """Not handled here: the Flowdesk script engine overrides call_service."""
        raise NotImplementedError("Service calls are dispatched by the Flowdesk script engine, not the sandbox.")
