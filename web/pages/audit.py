"""The audit log for admins and auditors: every event, filtered and paged, verification of the chains and of the
archive, CSV/XLSX/XES export, the retention archive with a dry-run preview."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from openpyxl import Workbook
from sqlalchemy import select

from domain.db import get_sessionmaker
from domain.errors import Forbidden, NotFound
from domain.identity.models import User
from domain.settings import get_settings
from engine import audit, retention
from engine.history import EventType, canonical
from engine.models import HistoryArchive, ProcessDefinition, ProcessInstance
from web.api.v1.history import require_history_reader, xes_filter, xes_response
from web.deps import SessionDep
from web.form_html import N_
from web.pages.common import UserDep, fragment, is_htmx, page

router = APIRouter()
AUDIT_GROUPS = {"admin", "auditor"}
PAGE_SIZE = 50
PREVIEW_LIMIT = 200  # instances listed by the archive's dry run
CSV_COLUMNS = ("at", "chain", "seq", "type", "actor", "process_key", "business_key", "instance_id", "element_id",
               "data", "hash")
BREAK_LABELS = {audit.BreakReason.EDITED: N_("an event was edited"),
                audit.BreakReason.DELETED: N_("an event was deleted"),
                audit.BreakReason.INSERTED: N_("an event was inserted"),
                audit.BreakReason.REORDERED: N_("events were reordered"),
                audit.BreakReason.ANCHOR_MISMATCH: N_("the chain does not end at its recorded head")}
ARCHIVE_LABELS: dict[str, str] = {
    **{str(reason): text for reason, text in BREAK_LABELS.items()},
    retention.ArchiveReason.PAYLOAD_EDITED: N_("the archived events were changed"),
    retention.ArchiveReason.BATCH_EDITED: N_("the batch does not match its hash or the retention record"),
    retention.ArchiveReason.BATCH_DELETED: N_("a batch was deleted"),
    retention.ArchiveReason.BATCH_INSERTED: N_("a batch was inserted or relinked"),
    retention.ArchiveReason.CHAIN_MISSING: N_("an archived chain is missing"),
}


def require_auditor(user: User) -> None:
    """Only auditors and admins read the audit log."""
    if not (user.group_names & AUDIT_GROUPS):
        raise Forbidden("only auditors and admins may read the audit log", code="not_an_auditor")


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return None


def _filter(actor: str, process_key: str, business_key: str, type: str, since: str, until: str,
            customer: str = "") -> audit.LogFilter:
    start, end = _day(since), _day(until)
    return audit.LogFilter(
        actor=actor, process_key=process_key, business_key=business_key, customer_code=customer,
        event_type=type if type in {t.value for t in EventType} else "",
        since=datetime.combine(start, time(), UTC) if start else None,
        # The end day is included: events before the next midnight.
        until=datetime.combine(end + timedelta(days=1), time(), UTC) if end else None,
    )


def _process_keys(session: SessionDep) -> list[str]:
    return list(session.scalars(select(ProcessDefinition.key).distinct().order_by(ProcessDefinition.key)))


@router.get("/audit", response_class=HTMLResponse)
def audit_log(request: Request, session: SessionDep, user: UserDep, actor: str = "", process_key: str = "",
              business_key: str = "", type: str = "", since: str = "", until: str = "", page_no: int = 1,
              customer: str = "") -> HTMLResponse:
    """Every event, newest first, filtered by actor, process, business key, customer, type and days; 50 a page."""
    require_auditor(user)
    wanted = _filter(actor, process_key, business_key, type, since, until, customer)
    page_no = max(page_no, 1)
    rows, more = audit.log_page(session=session, f=wanted, page=page_no, size=PAGE_SIZE)
    params = {k: v for k, v in {"actor": actor.strip(), "process_key": process_key.strip(),
                                "business_key": business_key.strip(), "customer": customer.strip(),
                                "type": wanted.event_type,
                                "since": since.strip() if _day(since) else "",
                                "until": until.strip() if _day(until) else ""}.items() if v}
    return page(request, "audit.html", {
        "rows": rows, "filters": params, "page_no": page_no, "more": more,
        "query": urlencode(params), "types": [t.value for t in EventType], "verification": None,
        "break_labels": BREAK_LABELS, "process_keys": _process_keys(session),
        # Purged from the live log by retention: the filter still finds them, in their archive batch.
        "archived_matches": retention.archived_instances(session=session, process_key=process_key,
                                                 business_key=business_key)
        if process_key.strip() or business_key.strip() else [],
    }, session=session, user=user)


@router.get("/audit/verify", response_class=HTMLResponse)
def audit_verify(request: Request, session: SessionDep, user: UserDep) -> HTMLResponse:
    """Every chain verified: the counts, or the first broken link of each broken chain."""
    require_auditor(user)
    verification = audit.verify(session=session)
    archived = retention.verify_archive(session=session)
    if is_htmx(request):
        return fragment(request, "audit_verify.html", {"verification": verification, "archived": archived,
                                                        "break_labels": BREAK_LABELS,
                                                        "archive_labels": ARCHIVE_LABELS})
    rows, more = audit.log_page(session=session, f=audit.LogFilter(), page=1, size=PAGE_SIZE)
    return page(request, "audit.html", {
        "rows": rows, "filters": {}, "page_no": 1, "more": more, "query": "",
        "types": [t.value for t in EventType], "verification": verification, "archived": archived,
        "break_labels": BREAK_LABELS, "archive_labels": ARCHIVE_LABELS, "process_keys": _process_keys(session),
    }, session=session, user=user)


def _csv_lines(wanted: audit.LogFilter) -> Iterator[str]:
    # Its own session: the request's may be closed before the body has been streamed.
    session = get_sessionmaker()()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    try:
        yield "\ufeff"  # a BOM, so Excel reads the file as UTF-8
        writer.writerow(CSV_COLUMNS)
        stmt = audit.log_query(wanted).execution_options(yield_per=500)
        for n, (ev, process_key, business_key) in enumerate(session.execute(stmt), start=1):
            writer.writerow(_csv_row(ev, process_key, business_key))
            if n % 500 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()
    finally:
        session.rollback()
        session.close()


def _csv_row(ev: Any, process_key: str | None, business_key: str | None) -> list[Any]:
    key = process_key or (ev.chain.removeprefix("definition:") if ev.chain.startswith("definition:") else "")
    return [ev.at.isoformat(), ev.chain, ev.seq, ev.type, ev.actor, key, business_key or "",
            ev.instance_id or "", ev.element_id or "", canonical(ev.data), ev.hash]


@router.get("/audit/export.csv")
def audit_export(session: SessionDep, user: UserDep, actor: str = "", process_key: str = "", business_key: str = "",
                 type: str = "", since: str = "", until: str = "", customer: str = "") -> StreamingResponse:
    """The filtered log as CSV (UTF-8 with BOM), streamed newest first."""
    require_auditor(user)
    wanted = _filter(actor, process_key, business_key, type, since, until, customer)
    session.rollback()  # end the request's transaction: on SQLite it would block the streaming session's
    return StreamingResponse(_csv_lines(wanted), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="flowdesk-audit.csv"'})


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/audit/export.xlsx")
def audit_export_xlsx(session: SessionDep, user: UserDep, actor: str = "", process_key: str = "",
                      business_key: str = "", type: str = "", since: str = "", until: str = "",
                      customer: str = "") -> Response:
    """The filtered log as an Excel workbook, newest first; times are real date cells in UTC."""
    require_auditor(user)
    wanted = _filter(actor, process_key, business_key, type, since, until, customer)
    book = Workbook(write_only=True)  # rows go to a temporary file, not memory
    sheet = book.create_sheet("Audit log")
    sheet.append(["at (UTC)", *CSV_COLUMNS[1:]])
    for ev, key, bkey in session.execute(audit.log_query(wanted).execution_options(yield_per=500)):
        row = _csv_row(ev, key, bkey)
        row[0] = ev.at.astimezone(UTC).replace(tzinfo=None)  # Excel has no time zones
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return Response(out.getvalue(), media_type=XLSX,
                    headers={"Content-Disposition": 'attachment; filename="flowdesk-audit.xlsx"'})


@router.get("/audit/export.xes")
def audit_export_xes(session: SessionDep, user: UserDep, process_key: str = "", version: str = "",
                     since: str = "", until: str = "") -> StreamingResponse:
    """One process's XES event log (IEEE 1849) for process-mining tools, streamed; archived history included."""
    require_history_reader(user)
    number = int(version) if version.strip().isdigit() else None  # the form sends "" for all versions
    wanted = xes_filter(session, process_key, number, since, until)
    session.rollback()  # end the request's transaction: on SQLite it would block the streaming session's
    return xes_response(wanted)


@router.get("/audit/archive", response_class=HTMLResponse)
def archive_page(request: Request, session: SessionDep, user: UserDep, days: int | None = None) -> HTMLResponse:
    """The retention archive: its batches, and a dry run of the policy (or of `days`) showing what is due now."""
    require_auditor(user)
    policy = days if days is not None and days >= 0 else get_settings().retention_days
    preview = retention.plan(session=session, days=policy, limit=PREVIEW_LIMIT) if policy is not None else None
    due = _instances(session, preview.instance_ids) if preview else []
    return page(request, "audit_archive.html", {
        "batches": retention.list_batches(session=session), "policy": get_settings().retention_days,
        "days": policy, "preview": preview, "due": due, "preview_limit": PREVIEW_LIMIT,
    }, session=session, user=user)


@router.get("/audit/archive/{seq}", response_class=HTMLResponse)
def archive_batch_page(request: Request, seq: int, session: SessionDep, user: UserDep, business_key: str = "",
                       page_no: int = 1) -> HTMLResponse:
    """The events of one archive batch (marked archived), optionally of one business key, 50 a page."""
    require_auditor(user)
    batch = session.scalar(select(HistoryArchive).where(HistoryArchive.seq == seq))
    if batch is None:
        raise NotFound(f"archive batch {seq} not found", code="archive_batch_not_found")
    rows = [retention.as_event(r) for r in retention.lines(batch)]
    keys = {i.id: i for i in _instances(session, sorted({e.instance_id for e in rows if e.instance_id}))}
    wanted = business_key.strip()
    if wanted:
        rows = [e for e in rows if wanted in (keys[e.instance_id].business_key or "" if e.instance_id in keys else "")]
    rows.sort(key=lambda e: (e.at, e.chain, e.seq), reverse=True)
    page_no = max(page_no, 1)
    shown = rows[(page_no - 1) * PAGE_SIZE:page_no * PAGE_SIZE]
    return page(request, "audit_archive_batch.html", {
        "batch": batch, "rows": [(e, keys.get(e.instance_id or 0)) for e in shown], "business_key": wanted,
        "page_no": page_no, "more": len(rows) > page_no * PAGE_SIZE, "total": len(rows),
        "query": urlencode({"business_key": wanted} if wanted else {}),
    }, session=session, user=user)


def _instances(session: SessionDep, ids: list[int]) -> list[ProcessInstance]:
    if not ids:
        return []
    return list(session.scalars(select(ProcessInstance).where(ProcessInstance.id.in_(ids))
                                .order_by(ProcessInstance.ended_at, ProcessInstance.id)))
