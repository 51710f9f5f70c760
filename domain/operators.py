"""How a domain module declares the operations service tasks may call, as plain data.

Each module lists `Operator`s in its `operators.py`; the engine collects them into its registry.
The function is called as `func(session=..., **params)` with params validated by `params` (pydantic)
and returns a JSON-serialisable dict (Decimal allowed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel


@dataclass(frozen=True)
class Operator:
    name: str  # module.verb_noun, e.g. "inventory.reserve_stock"
    func: Callable[..., dict[str, Any]]
    params: type[BaseModel]
    description: str = ""
    asynchronous: bool = False  # run as a job off the request path even if the diagram does not say so
    retries: int = 2  # further attempts after a failure when run as a job (a diagram's retries override)
    backoff_seconds: float = 2.0  # first retry delay; doubles each attempt
