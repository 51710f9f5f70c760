"""Process drafts: create (from a version or an upload), get, save with version, validate, deploy; and what the
modeler's properties panel needs: the operator registry, the groups, timer previews, condition checks."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, File, Response, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.errors import Forbidden, InvalidInput
from domain.identity.models import Group, User
from engine import drafts, services, timer_text
from engine.bundle import BundleFile
from engine.models import ProcessDraft
from engine.sandbox import SandboxError, check_expression
from web.deps import ApiUser, SessionDep, require_deployer
from web.pages.processes import READER_GROUPS

router = APIRouter(tags=["process drafts"])
# JSON Schema type -> the `type` attribute SpiffWorkflow's parser requires on a spiffworkflow:parameter.
SPIFF_TYPES = {"integer": "int", "number": "Decimal", "string": "str", "boolean": "bool", "array": "list",
               "object": "dict"}


class DraftOut(BaseModel):
    id: int
    process_key: str
    base_definition_id: int | None
    deployed_definition_id: int | None
    bpmn_filename: str
    bpmn_xml: str
    dmn_files: dict[str, str]
    forms: dict[str, Any]
    version: int
    saved_by: str
    saved_at: str

    @classmethod
    def of(cls, d: ProcessDraft) -> DraftOut:
        return cls(id=d.id, process_key=d.process_key, base_definition_id=d.base_definition_id,
                   deployed_definition_id=d.deployed_definition_id, bpmn_filename=d.bpmn_filename,
                   bpmn_xml=d.bpmn_xml, dmn_files=d.dmn_files, forms=d.forms, version=d.version,
                   saved_by=d.saved_by, saved_at=d.saved_at.isoformat())


class DraftCreate(BaseModel):
    definition_id: int


class DraftSave(BaseModel):
    version: int = Field(description="the version the edit started from; a stale one is refused with 409")
    bpmn_xml: str
    dmn_files: dict[str, str] | None = None
    forms: dict[str, Any] | None = None


class DraftVersion(BaseModel):
    version: int


class FindingOut(BaseModel):
    element_id: str | None
    code: str
    message: str
    severity: Literal["error", "warning"]
    file: str
    line: int | None


class ValidationOut(BaseModel):
    ok: bool
    findings: list[FindingOut]


class DraftDeployOut(BaseModel):
    definition_id: int
    key: str
    version: int
    created: bool
    draft_version: int


class ParameterOut(BaseModel):
    name: str
    type: str = Field(description="JSON Schema type(s), e.g. integer, number|string")
    spiff_type: str = Field(description="the type attribute written on spiffworkflow:parameter")
    required: bool
    description: str


class OperatorOut(BaseModel):
    name: str
    description: str
    parameters: list[ParameterOut]
    asynchronous: bool
    retries: int
    backoff_seconds: float


class GroupOut(BaseModel):
    name: str
    title: str


class TimerIn(BaseModel):
    expression: str
    kind: Literal["timeDuration", "timeDate", "timeCycle"]
    position: Literal["boundary", "intermediate", "start"] = "intermediate"


class TimerOut(BaseModel):
    ok: bool
    text: str


class ConditionIn(BaseModel):
    expression: str


class ConditionOut(BaseModel):
    ok: bool
    message: str = ""
    line: int | None = None


def require_reader(user: User) -> None:
    """Drafts are read by those who read deployed processes."""
    if not (user.group_names & READER_GROUPS):
        raise Forbidden("only admins, process owners and managers may read drafts", code="not_a_process_reader")


def validation_out(validation: drafts.Validation) -> ValidationOut:
    return ValidationOut(ok=validation.ok, findings=[FindingOut(**f.as_dict()) for f in validation.findings])


def _types(prop: dict[str, Any]) -> list[str]:
    if "type" in prop:
        return [prop["type"]] if isinstance(prop["type"], str) else list(prop["type"])
    return [t for option in prop.get("anyOf", []) for t in _types(option) if t != "null"]


def operators() -> list[OperatorOut]:
    """The service-task registry as the properties panel shows it."""
    out = []
    for op in sorted(services.registry().values(), key=lambda o: o.name):
        schema = op.params.model_json_schema()
        required = set(schema.get("required", []))
        params = []
        for name, prop in (schema.get("properties") or {}).items():
            types = _types(prop) or ["object"]
            spiff = "Decimal" if "number" in types else SPIFF_TYPES.get(types[0], "str")
            params.append(ParameterOut(name=name, type="|".join(types), spiff_type=spiff, required=name in required,
                                       description=str(prop.get("description") or prop.get("title") or "")))
        out.append(OperatorOut(name=op.name, description=op.description, parameters=params,
                               asynchronous=op.asynchronous, retries=op.retries, backoff_seconds=op.backoff_seconds))
    return out


def groups(session: Session) -> list[GroupOut]:
    """The groups a lane may map to."""
    return [GroupOut(name=g.name, title=g.title) for g in session.scalars(select(Group).order_by(Group.name))]


def timer_preview(data: TimerIn, gettext: Any = lambda s: s) -> TimerOut:
    """A timer expression in plain language, or why it cannot be read."""
    try:
        return TimerOut(ok=True, text=timer_text.describe(data.expression, kind=data.kind,
                                                          position=data.position).text(gettext))
    except InvalidInput as exc:
        return TimerOut(ok=False, text=exc.message)


def condition_check(data: ConditionIn) -> ConditionOut:
    """Whether a condition compiles in the sandbox (the same compiler that runs it)."""
    if not data.expression.strip():
        return ConditionOut(ok=False, message="the condition is empty")
    if "${" in data.expression or "#{" in data.expression:
        return ConditionOut(ok=False, message="this is a JUEL expression; write a Python expression")
    try:
        check_expression(data.expression)
    except SandboxError as exc:
        return ConditionOut(ok=False, message=exc.message, line=exc.line)
    return ConditionOut(ok=True)


@router.post("/process-drafts", response_model=DraftOut, status_code=201)
def create_draft(data: DraftCreate, session: SessionDep, user: ApiUser) -> DraftOut:
    """A draft opened from a deployed version (by definition id)."""
    require_deployer(user)
    draft = drafts.create_from_definition(session=session, definition_id=data.definition_id, actor=user.username)
    session.commit()
    return DraftOut.of(draft)


@router.post("/process-drafts/upload", response_model=DraftOut, status_code=201)
async def upload_draft(session: SessionDep, user: ApiUser, files: list[UploadFile] = File(...)) -> DraftOut:
    """A draft from uploaded files: one .bpmn with any .dmn and .json forms."""
    require_deployer(user)
    bundle = [BundleFile(name=f.filename or "upload", content=await f.read()) for f in files]
    draft = drafts.create_from_files(session=session, files=bundle, actor=user.username)
    session.commit()
    return DraftOut.of(draft)


@router.get("/process-drafts/{draft_id}", response_model=DraftOut)
def get_draft(draft_id: int, session: SessionDep, user: ApiUser) -> DraftOut:
    """One draft with its files and version."""
    require_reader(user)
    return DraftOut.of(drafts.get(session=session, draft_id=draft_id))


@router.put("/process-drafts/{draft_id}", response_model=DraftOut,
            responses={409: {"description": "the draft was saved by someone else since `version`"}})
def save_draft(draft_id: int, data: DraftSave, session: SessionDep, user: ApiUser) -> DraftOut:
    """Save the draft's files; `version` must be the current one."""
    require_deployer(user)
    draft = drafts.save(session=session, draft_id=draft_id, version=data.version, actor=user.username,
                        bpmn_xml=data.bpmn_xml, dmn_files=data.dmn_files, forms=data.forms)
    session.commit()
    return DraftOut.of(draft)


@router.post("/process-drafts/{draft_id}/validate", response_model=ValidationOut)
def validate_draft(draft_id: int, session: SessionDep, user: ApiUser) -> ValidationOut:
    """Deploy checks and lint in one list, each finding pinned to an element."""
    require_reader(user)
    return validation_out(drafts.validate(session=session, draft=drafts.get(session=session, draft_id=draft_id)))


@router.post("/process-drafts/{draft_id}/deploy", response_model=DraftDeployOut, status_code=201,
             responses={200: {"description": "identical content: the existing version"},
                        409: {"description": "stale version"}, 422: {"description": "the draft has errors"}})
def deploy_draft(draft_id: int, data: DraftVersion, response: Response, session: SessionDep,
                 user: ApiUser) -> DraftDeployOut:
    """Deploy the saved draft as the next version; a draft with errors is refused and nothing changes."""
    require_deployer(user)
    result = drafts.deploy(session=session, draft_id=draft_id, version=data.version, actor=user.username)
    session.commit()
    if not result.created:
        response.status_code = 200
    draft = drafts.get(session=session, draft_id=draft_id)
    return DraftDeployOut(definition_id=result.definition.id, key=result.definition.key,
                          version=result.definition.version, created=result.created, draft_version=draft.version)


@router.get("/modeler/operators", response_model=list[OperatorOut])
def list_operators(user: ApiUser) -> list[OperatorOut]:
    """The service-task operators with their parameters and JSON Schema types."""
    return operators()


@router.get("/modeler/groups", response_model=list[GroupOut])
def list_groups(session: SessionDep, user: ApiUser) -> list[GroupOut]:
    """The groups a lane can map to."""
    return groups(session)


@router.post("/modeler/timer-preview", response_model=TimerOut)
def preview_timer(data: TimerIn, user: ApiUser) -> TimerOut:
    """A timer expression in plain language (ok=false with the reason when it cannot be read)."""
    return timer_preview(data)


@router.post("/modeler/condition-check", response_model=ConditionOut)
def check_condition(data: ConditionIn, user: ApiUser) -> ConditionOut:
    """Whether a sequence-flow condition compiles in the sandbox."""
    return condition_check(data)

