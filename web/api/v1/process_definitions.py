"""Process definitions: list deployed versions; deploy a bundle (multipart); download a version's BPMN."""

from __future__ import annotations

from fastapi import APIRouter, File, Response, UploadFile
from pydantic import BaseModel
from sqlalchemy import select

from domain.errors import InvalidInput, NotFound
from engine import deployment, vendor
from engine.bundle import BundleFile
from engine.models import ProcessDefinition
from web.api.v1.schemas import DefinitionOut, DeployedOut, DeployOut
from web.deps import ApiUser, SessionDep, require_deployer

router = APIRouter(prefix="/process-definitions", tags=["process definitions"])


class WarningOut(BaseModel):
    """An extension of the diagram Flowdesk does not execute (deployed anyway, reported by name)."""

    file: str
    name: str
    element_id: str | None
    line: int | None
    message: str


class DeployWithWarningsOut(DeployOut):
    warnings: list[WarningOut] = []


@router.get("", response_model=list[DefinitionOut])
def list_definitions(session: SessionDep, user: ApiUser, key: str | None = None) -> list[DefinitionOut]:
    """Every deployed version, newest first (optionally of one key)."""
    stmt = select(ProcessDefinition).order_by(ProcessDefinition.key, ProcessDefinition.version.desc())
    if key:
        stmt = stmt.where(ProcessDefinition.key == key)
    return [DefinitionOut.of(d) for d in session.scalars(stmt)]


@router.post("", response_model=DeployWithWarningsOut, status_code=201,
             responses={200: {"description": "identical content: the existing version"},
                        422: {"description": "the bundle cannot run; element-level errors"}})
async def deploy_definitions(
    response: Response, session: SessionDep, user: ApiUser, files: list[UploadFile] = File(...)
) -> DeployWithWarningsOut:
    """Deploy BPMN + DMN + form files; new content becomes the next version of its process key."""
    require_deployer(user)
    if not files:
        raise InvalidInput("no files uploaded", code="no_files")
    bundle = [BundleFile(name=f.filename or "upload", content=await f.read()) for f in files]
    results = deployment.deploy(session=session, files=bundle, actor=user.username)
    session.commit()
    if not any(r.created for r in results):
        response.status_code = 200
    warnings = vendor.distinct([w for r in results for w in r.warnings])
    return DeployWithWarningsOut(
        deployed=[DeployedOut(id=r.definition.id, key=r.definition.key, version=r.definition.version,
                              created=r.created) for r in results],
        warnings=[WarningOut(**w.as_dict()) for w in warnings])


@router.get("/{definition_id}/bpmn", response_class=Response,
            responses={200: {"content": {"application/xml": {}}, "description": "the BPMN XML as deployed"}})
def download_bpmn(definition_id: int, session: SessionDep, user: ApiUser) -> Response:
    """The BPMN XML of one deployed version, as a file download."""
    definition = session.get(ProcessDefinition, definition_id)
    if definition is None:
        raise NotFound(f"process definition {definition_id} not found", code="definition_not_found")
    return Response(definition.bpmn_xml, media_type="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="{bpmn_filename(definition)}"'})


def bpmn_filename(definition: ProcessDefinition) -> str:
    """A safe download name: <key>.v<version>.bpmn."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in definition.key)
    return f"{safe}.v{definition.version}.bpmn"
