"""Process definitions: list deployed versions; deploy a bundle (multipart)."""

from __future__ import annotations

from fastapi import APIRouter, File, Response, UploadFile
from sqlalchemy import select

from domain.errors import InvalidInput
from engine import deployment
from engine.bundle import BundleFile
from engine.models import ProcessDefinition
from web.api.v1.schemas import DefinitionOut, DeployedOut, DeployOut
from web.deps import ApiUser, SessionDep, require_deployer

router = APIRouter(prefix="/process-definitions", tags=["process definitions"])


@router.get("", response_model=list[DefinitionOut])
def list_definitions(session: SessionDep, user: ApiUser, key: str | None = None) -> list[DefinitionOut]:
    """Every deployed version, newest first (optionally of one key)."""
    stmt = select(ProcessDefinition).order_by(ProcessDefinition.key, ProcessDefinition.version.desc())
    if key:
        stmt = stmt.where(ProcessDefinition.key == key)
    return [DefinitionOut.of(d) for d in session.scalars(stmt)]


@router.post("", response_model=DeployOut, status_code=201,
             responses={200: {"description": "identical content: the existing version"},
                        422: {"description": "the bundle cannot run; element-level errors"}})
async def deploy_definitions(
    response: Response, session: SessionDep, user: ApiUser, files: list[UploadFile] = File(...)
) -> DeployOut:
    """Deploy BPMN + DMN + form files; new content becomes the next version of its process key."""
    require_deployer(user)
    if not files:
        raise InvalidInput("no files uploaded", code="no_files")
    bundle = [BundleFile(name=f.filename or "upload", content=await f.read()) for f in files]
    results = deployment.deploy(session=session, files=bundle, actor=user.username)
    session.commit()
    if not any(r.created for r in results):
        response.status_code = 200
    return DeployOut(deployed=[DeployedOut(id=r.definition.id, key=r.definition.key, version=r.definition.version,
                                           created=r.created) for r in results])
