"""POST /api/v1/auth/token: username + password -> bearer token."""

from __future__ import annotations

from fastapi import APIRouter, Request

from domain.errors import InvalidInput
from domain.identity import service as identity
from web.api.v1.schemas import TokenIn, TokenOut
from web.deps import SessionDep

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/token", response_model=TokenOut, openapi_extra={
    "requestBody": {"content": {"application/json": {"schema": TokenIn.model_json_schema()},
                                "application/x-www-form-urlencoded": {"schema": TokenIn.model_json_schema()}},
                    "required": True}})
async def issue_token(request: Request, session: SessionDep) -> TokenOut:
    """Exchange a username and password (JSON or form-encoded) for a bearer token."""
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = TokenIn.model_validate_json(await request.body())
        except ValueError as exc:
            raise InvalidInput("username and password are required", code="invalid_request") from exc
    else:
        form = await request.form()
        body = TokenIn(username=str(form.get("username", "")), password=str(form.get("password", "")))
    user = identity.authenticate(session=session, username=body.username, password=body.password)
    token = identity.issue_token(session=session, user=user)
    session.commit()
    return TokenOut(access_token=token, expires_in=int(identity.TOKEN_LIFETIME.total_seconds()))
