"""service operations that service tasks may call (collected by the engine's registry)."""

from __future__ import annotations

from domain.operators import Operator

OPERATORS: list[Operator] = []
