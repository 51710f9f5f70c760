"""Instance migration between versions: check and batch migrate (#5). Process owners and admins only."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from engine import migration
from engine.models import ProcessDefinition
from web.deps import ApiUser, SessionDep, actor_of, require_deployer

router = APIRouter(prefix="/migrations", tags=["migrations"])


class MigrationIn(BaseModel):
    """Which instances (all unfinished ones of a source version, or by id) go to which version, with a mapping."""

    model_config = ConfigDict(extra="forbid")
    target_definition_id: int
    source_definition_id: int | None = None
    instance_ids: list[int] | None = Field(default=None, max_length=migration.MAX_BATCH)
    mapping: dict[str, str] = Field(default_factory=dict, description="source element id -> target element id")


class MigrateIn(MigrationIn):
    expected_versions: dict[int, int] = Field(
        default_factory=dict, description="instance id -> lock_version from the check: refused if it changed since")


class ProblemOut(BaseModel):
    code: str
    message: str
    element_id: str | None = None


class ElementOut(BaseModel):
    id: str
    name: str
    type: str
    state: str
    target_id: str | None
    missing: bool
    suggestion: str | None = None
    dropped: bool = False


class InstanceCheckOut(BaseModel):
    instance_id: int
    business_key: str | None
    status: str
    version: int
    lock_version: int
    can_move: bool
    elements: list[ElementOut]
    problems: list[ProblemOut]

    @classmethod
    def of(cls, c: migration.InstanceCheck) -> InstanceCheckOut:
        return cls(instance_id=c.instance_id, business_key=c.business_key, status=c.status, version=c.version,
                   lock_version=c.lock_version, can_move=c.can_move,
                   elements=[ElementOut(**vars(e)) for e in c.elements],
                   problems=[ProblemOut(**vars(p)) for p in c.problems])


class TargetOut(BaseModel):
    definition_id: int
    key: str
    version: int


class CheckOut(BaseModel):
    target: TargetOut
    instances: list[InstanceCheckOut]


class ResultOut(BaseModel):
    instance_id: int
    business_key: str | None
    moved: bool
    code: str
    message: str


class MigrateOut(BaseModel):
    target: TargetOut
    moved: int
    refused: int
    results: list[ResultOut]


def _target(session: SessionDep, definition_id: int) -> TargetOut:
    definition = session.get(ProcessDefinition, definition_id)
    assert definition is not None  # the engine call before this one found it
    return TargetOut(definition_id=definition.id, key=definition.key, version=definition.version)


@router.post("/check", response_model=CheckOut)
def check(body: MigrationIn, session: SessionDep, user: ApiUser) -> CheckOut:
    """Per instance: can it move to the target version, what is it at, and what blocks it. Changes nothing."""
    require_deployer(user)
    checks = migration.check(session=session, target_definition_id=body.target_definition_id,
                             source_definition_id=body.source_definition_id, instance_ids=body.instance_ids,
                             mapping=body.mapping)
    return CheckOut(target=_target(session, body.target_definition_id),
                    instances=[InstanceCheckOut.of(c) for c in checks])


@router.post("", response_model=MigrateOut)
def migrate(body: MigrateIn, session: SessionDep, user: ApiUser) -> MigrateOut:
    """Migrate a batch: one result per instance (moved, or refused with a code); each instance on its own."""
    require_deployer(user)
    results = migration.migrate(session=session, target_definition_id=body.target_definition_id,
                                source_definition_id=body.source_definition_id, instance_ids=body.instance_ids,
                                mapping=body.mapping, expected_versions=body.expected_versions,
                                actor=actor_of(user))
    session.commit()
    out = [ResultOut(**vars(r)) for r in results]
    return MigrateOut(target=_target(session, body.target_definition_id), moved=sum(r.moved for r in out),
                      refused=sum(not r.moved for r in out), results=out)
