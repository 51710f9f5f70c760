"""Users, password checks and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain import clock
from domain.errors import Conflict, InvalidInput, Unauthorized
from domain.identity.models import ApiToken, Group, User

_hasher = PasswordHasher()
TOKEN_LIFETIME = timedelta(hours=12)
ADMIN_GROUP = "admin"


def get_or_create_group(*, session: Session, name: str) -> Group:
    """The group called name, created on first use."""
    group = session.scalar(select(Group).where(Group.name == name))
    if group is None:
        group = Group(name=name, title=name.replace("_", " ").title())
        session.add(group)
        session.flush()
    return group


USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,63}")  # li.na, wang-wei, sales_east


def create_user(
    *,
    session: Session,
    username: str,
    password: str,
    groups: list[str],
    display_name: str = "",
    locale: str | None = None,
) -> User:
    """A new active user in the given groups."""
    if not USERNAME.fullmatch(username or ""):
        raise InvalidInput(f"invalid username {username!r}: start with a letter; use letters, digits, '.', '_', '-'")
    if len(password) < 4:
        raise InvalidInput("password too short (at least 4 characters)")
    if session.scalar(select(User).where(User.username == username)):
        raise Conflict(f"user {username!r} already exists", code="user_exists")
    user = User(
        username=username,
        display_name=display_name or username.title(),
        password_hash=_hasher.hash(password),
        locale=locale,
        groups=[get_or_create_group(session=session, name=g) for g in groups],
    )
    session.add(user)
    session.flush()
    return user


def get_by_username(*, session: Session, username: str) -> User | None:
    """The user called username, if any."""
    return session.scalar(select(User).where(User.username == username))


def authenticate(*, session: Session, username: str, password: str) -> User:
    """The active user whose password matches, else Unauthorized (same message either way)."""
    user = get_by_username(session=session, username=username)
    try:
        if user is None or not user.active or not _hasher.verify(user.password_hash, password):
            raise Unauthorized("wrong username or password", code="bad_credentials")
    except (VerificationError, InvalidHashError) as exc:
        raise Unauthorized("wrong username or password", code="bad_credentials") from exc
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(*, session: Session, user: User) -> str:
    """A new bearer token for user; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=_digest(token), expires_at=clock.now() + TOKEN_LIFETIME))
    session.flush()
    return token


def user_for_token(*, session: Session, token: str) -> User:
    """The user a bearer token belongs to, else Unauthorized."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is None or row.revoked or row.expires_at <= clock.now():
        raise Unauthorized("invalid or expired token", code="invalid_token")
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise Unauthorized("invalid or expired token", code="invalid_token")
    return user


def is_admin(user: User) -> bool:
    """Admins may act on any task."""
    return ADMIN_GROUP in user.group_names
