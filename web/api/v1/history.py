"""History exports (XES) and retention (#6)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from sqlalchemy import select

from domain.db import get_sessionmaker
from domain.errors import Forbidden, InvalidInput, NotFound
from domain.identity.models import User
from engine import xes
from engine.models import ProcessDefinition
from web.deps import ApiUser, SessionDep

router = APIRouter(prefix="/history", tags=["history"])
HISTORY_READERS = {"admin", "auditor", "process_owner", "manager"}


def require_history_reader(user: User) -> None:
    """Auditors, admins, process owners and managers read the whole history of a process."""
    if not (user.group_names & HISTORY_READERS):
        raise Forbidden("only auditors, managers, process owners and admins may export history",
                        code="not_a_history_reader")


def parse_moment(value: str | None, *, name: str) -> datetime | None:
    """A day (midnight UTC) or an ISO date-time (naive means UTC); None when empty."""
    if not value or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), UTC)
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(f"{name}: {text!r} is not an ISO date or date-time", code="bad_date") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def xes_filter(session: SessionDep, process_key: str, version: int | None, since: str | None,
               until: str | None) -> xes.XesFilter:
    """The export's filter, checked: the process must exist (in that version)."""
    stmt = select(ProcessDefinition.id).where(ProcessDefinition.key == process_key.strip())
    if version is not None:
        stmt = stmt.where(ProcessDefinition.version == version)
    if session.scalar(stmt.limit(1)) is None:
        raise NotFound(f"no process {process_key!r}" + (f" version {version}" if version else ""),
                       code="definition_not_found")
    return xes.XesFilter(process_key=process_key.strip(), version=version,
                         since=parse_moment(since, name="since"), until=parse_moment(until, name="until"))


def xes_response(wanted: xes.XesFilter) -> StreamingResponse:
    """The XES document streamed from its own session (the request's ends before the body is sent)."""

    def pieces() -> Iterator[bytes]:
        session = get_sessionmaker()()
        try:
            for piece in xes.stream(session=session, f=wanted):
                yield piece.encode()
        finally:
            session.rollback()
            session.close()

    name = f"{wanted.process_key}{'-v' + str(wanted.version) if wanted.version else ''}.xes"
    return StreamingResponse(pieces(), media_type="application/xml",
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/xes", response_class=StreamingResponse)
def export_xes(session: SessionDep, user: ApiUser, process_key: str, version: int | None = None,
               since: str | None = None, until: str | None = None) -> StreamingResponse:
    """An IEEE 1849 XES event log of one process (optionally one version, instances started in [since, until))."""
    require_history_reader(user)
    wanted = xes_filter(session, process_key, version, since, until)
    session.rollback()  # end the request's transaction: on SQLite it would block the streaming session's
    return xes_response(wanted)
