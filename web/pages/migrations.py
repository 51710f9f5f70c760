"""Migrating running instances between process versions (#5): choose versions, map missing elements, check,
select instances, migrate, and see the result per instance. Process owners and admins only."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.errors import InvalidInput, NotFound
from domain.identity.models import User
from engine import migration
from engine.models import ProcessDefinition, ProcessInstance
from web.deps import SessionDep, actor_of, require_deployer
from web.pages.common import UserDep, gettext_for, page

router = APIRouter()
MAP_PREFIX = "map:"  # form fields map:<source element id> = <target element id>
VERSION_PREFIX = "v:"  # form fields v:<instance id> = the lock_version the check saw


@dataclass
class MissingElement:
    """An active element the target lacks, with the target elements of its type it can be mapped to."""

    id: str
    name: str
    type: str
    mapped_to: str
    suggestion: str | None
    options: list[migration.TargetElement] = field(default_factory=list)


def _versions(session: Session, key: str) -> list[ProcessDefinition]:
    found = list(session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == key)
                                 .order_by(ProcessDefinition.version.desc())))
    if not found:
        raise NotFound(f"no deployed process {key!r}", code="process_not_found")
    return found


def _pick(versions: list[ProcessDefinition], wanted: Any, default: ProcessDefinition) -> ProcessDefinition:
    try:
        number = int(wanted) if wanted not in (None, "") else default.version
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"not a version number: {wanted!r}", code="invalid_version") from exc
    chosen = next((d for d in versions if d.version == number), None)
    if chosen is None:
        raise NotFound(f"process {default.key!r} has no version {number}", code="process_not_found")
    return chosen


def _mapping(fields: Any) -> dict[str, str]:
    return {k[len(MAP_PREFIX):]: str(v) for k, v in fields.items() if k.startswith(MAP_PREFIX) and v}


def _chosen(session: Session, key: str, fields: Any) -> tuple[list[ProcessDefinition], ProcessDefinition,
                                                              ProcessDefinition]:
    """The process's versions and the chosen source and target (default: the version before the target -> target,
    the target defaulting to the newest)."""
    versions = _versions(session, key)
    target = _pick(versions, fields.get("to"), versions[0])
    older = [d for d in versions if d.version < target.version] or [d for d in versions if d.id != target.id]
    source = _pick(versions, fields.get("from"), older[0] if older else target)
    return versions, source, target


def _missing(session: Session, checks: list[migration.InstanceCheck], target: ProcessDefinition,
             mapping: dict[str, str]) -> list[MissingElement]:
    """Every active element the target lacks, once, with the same-type target elements to map it to."""
    elements = migration.target_elements(session=session, definition_id=target.id)
    missing: dict[str, MissingElement] = {}
    for check in checks:
        for e in check.elements:
            if e.missing and e.id not in missing:
                options = [t for t in elements if t.type == e.type]
                missing[e.id] = MissingElement(e.id, e.name, e.type, mapping.get(e.id, ""), e.suggestion, options)
    return sorted(missing.values(), key=lambda m: m.id)


def _check_page(request: Request, session: Session, user: User, key: str, fields: Any) -> HTMLResponse:
    versions, source, target = _chosen(session, key, fields)
    mapping = _mapping(fields)
    checks = [] if source.id == target.id else migration.check(
        session=session, target_definition_id=target.id, source_definition_id=source.id, mapping=mapping)
    return page(request, "migrate.html", {
        "key": key, "name": versions[0].name, "versions": versions, "source": source, "target": target,
        "checks": checks, "mapping": mapping, "missing": _missing(session, checks, target, mapping),
    }, session=session, user=user)


@router.get("/migrations/{key}", response_class=HTMLResponse)
def check_page(request: Request, key: str, session: SessionDep, user: UserDep) -> HTMLResponse:
    """Choose source and target versions, map missing elements, and see per instance whether it can move."""
    require_deployer(user)
    return _check_page(request, session, user, key, request.query_params)


@router.post("/migrations/{key}", response_class=HTMLResponse)
async def migrate(request: Request, key: str, session: SessionDep, user: UserDep) -> HTMLResponse:
    """Migrate the selected instances with the checked mapping; the result per instance."""
    require_deployer(user)
    form = await request.form()
    _, source, target = _chosen(session, key, form)
    mapping = _mapping(form)
    ids = [int(str(v)) for v in form.getlist("instance") if str(v).isdigit()]
    if not ids:
        raise InvalidInput(gettext_for(request)("Select at least one instance to migrate."),
                           code="no_instances_selected")
    expected = {int(k[len(VERSION_PREFIX):]): int(str(v)) for k, v in form.items()
                if k.startswith(VERSION_PREFIX) and k[len(VERSION_PREFIX):].isdigit() and str(v).isdigit()}
    results = migration.migrate(session=session, target_definition_id=target.id, instance_ids=ids, mapping=mapping,
                                expected_versions=expected, actor=actor_of(user))
    session.commit()
    names = {i.id: i.business_key for i in session.scalars(select(ProcessInstance).where(ProcessInstance.id.in_(ids)))}
    return page(request, "migrate_result.html", {
        "key": key, "name": target.name, "source": source, "target": target, "results": results,
        "mapping": mapping, "business_keys": names, "moved": sum(r.moved for r in results),
    }, session=session, user=user)
