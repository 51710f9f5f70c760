"""Request dependencies: the transaction, the current user (bearer token or session cookie), the actor."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from domain.db import get_sessionmaker
from domain.errors import Forbidden, Unauthorized
from domain.identity import service as identity
from domain.identity.models import User
from engine.runtime import Actor

DEPLOYER_GROUPS = {"process_owner", "admin"}


def get_session() -> Iterator[Session]:
    """A session for the request; the endpoint commits, anything uncommitted is rolled back."""
    session = get_sessionmaker()()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]


def api_user(request: Request, session: SessionDep) -> User:
    """The user of a bearer token (API)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("a bearer token is required (POST /api/v1/auth/token)", code="missing_token")
    return identity.user_for_token(session=session, token=token.strip())


def page_user(request: Request, session: SessionDep) -> User:
    """The user of the session cookie (HTML pages)."""
    user_id = request.session.get("user_id")
    user = session.get(User, user_id) if user_id else None
    if user is None or not user.active:
        raise Unauthorized("please sign in", code="not_signed_in")
    return user


ApiUser = Annotated[User, Depends(api_user)]
PageUser = Annotated[User, Depends(page_user)]


AUDITOR_GROUP = "auditor"


def actor_of(user: User) -> Actor:
    """The engine's view of a user; auditors (who are not admins) are read-only."""
    admin = identity.is_admin(user)
    read_only = AUDITOR_GROUP in user.group_names and not admin
    return Actor(user.username, user.group_names, admin=admin, read_only=read_only)


def require_deployer(user: User) -> None:
    """Only process owners and admins deploy."""
    if not (user.group_names & DEPLOYER_GROUPS):
        raise Forbidden("only process owners and admins may deploy", code="not_a_process_owner")


OPERATOR_GROUPS = {"process_owner", "admin"}


def require_operator(user: User) -> None:
    """Only process owners and admins suspend, resume, cancel or retry."""
    if not (user.group_names & OPERATOR_GROUPS):
        raise Forbidden("only process owners and admins may operate instances", code="not_an_operator")
