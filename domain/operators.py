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
