"""The service-task registry: operator name (module.verb_noun) -> typed domain function.

Domain modules declare their operators as data (domain/<module>/operators.py); the engine only collects them.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from domain.errors import InvalidInput, NotFound
from domain.operators import Operator
from domain.settings import get_settings

DOMAIN_MODULES = ("crm", "inventory", "sales", "procurement", "finance", "service", "notifications")


def _operator_modules() -> list[str]:
    # A deployment adds its own operators with FLOWDESK_OPERATOR_MODULES=pkg.mod,other.mod (each with OPERATORS).
    return [f"domain.{module}.operators" for module in DOMAIN_MODULES] + list(get_settings().operator_modules)


@lru_cache
def registry() -> dict[str, Operator]:
    """Every operator of every domain module (and of FLOWDESK_OPERATOR_MODULES), by name."""
    found: dict[str, Operator] = {}
    for module in _operator_modules():
        for op in importlib.import_module(module).OPERATORS:
            if op.name in found:
                raise RuntimeError(f"operator {op.name} declared twice")
            found[op.name] = op
    return found


_overrides: dict[str, Operator] = {}


@contextmanager
def overridden(operators: dict[str, Operator]) -> Iterator[None]:
    """Swap operator implementations (benchmarks isolate engine cost from domain cost with it)."""
    _overrides.update(operators)
    try:
        yield
    finally:
        for name in operators:
            _overrides.pop(name, None)


def find_operator(name: str) -> Operator | None:
    """The operator called name, or None."""
    return _overrides.get(name) or registry().get(name)


def get_operator(name: str) -> Operator:
    """The operator called name, else NotFound."""
    try:
        return _overrides.get(name) or registry()[name]
    except KeyError:
        raise NotFound(f"unknown service operator {name!r}", code="unknown_operator") from None


def describe() -> list[dict[str, Any]]:
    """The operators with their parameter JSON Schemas (the modeler's dropdown)."""
    return [
        {"name": op.name, "description": op.description, "parameters": op.params.model_json_schema()}
        for op in sorted(registry().values(), key=lambda o: o.name)
    ]


def parameter_names(name: str) -> tuple[set[str], set[str]]:
    """(all, required) parameter names of an operator."""
    fields = get_operator(name).params.model_fields
    return set(fields), {k for k, f in fields.items() if f.is_required()}


def call(*, session: Session, name: str, params: dict[str, Any]) -> dict[str, Any]:
    """Validate params against the operator's schema and run it inside the caller's transaction."""
    op = get_operator(name)
    try:
        validated = op.params.model_validate(params)
    except ValidationError as exc:
        errors = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
        raise InvalidInput(f"bad parameters for {name}", code="bad_operator_params", errors=errors) from exc
    return op.func(session=session, **dict(validated))
