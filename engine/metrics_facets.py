"""Instance facets: a few workflow data values per instance, indexed, for monitoring filters and customer look-ups."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.models import InstanceFacet

# Facet name -> where its value is read from the instance's current data: a top-level key first, then one nested
# path (lead-to-cash keeps the tier inside the `customer` record its first service task loads).
FACET_PATHS: dict[str, tuple[str, ...]] = {
    "customer_code": ("customer_code", "customer.code"),
    "customer_tier": ("customer_tier", "customer.tier"),
    "region": ("region", "customer.region"),
}
MAX_VALUE = 256


def _lookup(data: Mapping[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def facet_values(data: Mapping[str, Any]) -> dict[str, str]:
    """The configured facets found in workflow data (scalars only, as text)."""
    found: dict[str, str] = {}
    for name, paths in FACET_PATHS.items():
        for path in paths:
            value = _lookup(data, path)
            if value is not None and not isinstance(value, (dict, list, bool)) and str(value).strip():
                found[name] = str(value).strip()[:MAX_VALUE]
                break
    return found


def _insert_ignoring_duplicates(dialect: str) -> Any:
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(InstanceFacet)
    return stmt.on_conflict_do_nothing(index_elements=["instance_id", "name", "value"])


_INSERTS = {name: _insert_ignoring_duplicates(name) for name in ("postgresql", "sqlite")}


def record_facets(session: Session, instance_id: int, data: Mapping[str, Any]) -> None:
    """Remember the instance's facet values (one statement; values already known are left alone)."""
    values = facet_values(data)
    if not values:
        return
    rows = [{"instance_id": instance_id, "name": name, "value": value} for name, value in values.items()]
    session.execute(_INSERTS[session.get_bind().dialect.name], rows)


def instances_with_facet_query(name: str, value: str) -> Select[int]:
    """The ids of instances that had value for the facet name (for use as a subquery)."""
    return select(InstanceFacet.instance_id).where(InstanceFacet.name == name, InstanceFacet.value == value)


def instances_with_facet(session: Session, name: str, value: str) -> list[int]:
    """Every instance that had value for the facet name, e.g. every instance that touched customer C-SH-003."""
    return list(session.scalars(instances_with_facet_query(name, value).order_by(InstanceFacet.instance_id)))
