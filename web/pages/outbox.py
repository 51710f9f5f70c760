"""The mail outbox: what Flowdesk sent, is sending, or holds because no mail server is configured."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.errors import Forbidden
from domain.identity.models import User
from domain.notifications import service as notifications
from domain.notifications.models import MailStatus, OutboxMail
from domain.settings import get_settings
from engine.models import Job, JobStatus
from tasks.mailer import job_key
from web.deps import SessionDep
from web.form_html import N_
from web.pages.common import UserDep, page

router = APIRouter()
READER_GROUPS = {"admin", "process_owner", "manager"}
STATUS_LABELS: dict[str, str] = {
    MailStatus.PENDING: N_("Queued"),
    MailStatus.SENT: N_("Sent"),
    MailStatus.HELD: N_("Held"),
    MailStatus.FAILED: N_("Failed"),
}
STATUS_PILLS = {MailStatus.PENDING: "open", MailStatus.SENT: "completed", MailStatus.HELD: "held",
                MailStatus.FAILED: "error"}


def _require_reader(user: User) -> None:
    # Mails carry customer and order details: only admins, process owners and managers read them.
    if not (user.group_names & READER_GROUPS):
        raise Forbidden("only admins, process owners and managers may read the outbox", code="not_an_outbox_reader")


def _jobs_of(session: Session, mails: Sequence[OutboxMail]) -> dict[int, Job]:
    """Each mail's job (attempts so far, next attempt) by mail id."""
    if not mails:
        return {}
    by_key = {job_key(m.id): m.id for m in mails}
    found = session.scalars(select(Job).where(Job.idempotency_key.in_(list(by_key))))
    return {by_key[j.idempotency_key]: j for j in found}


def _context(session: Session, mails: Sequence[OutboxMail]) -> dict[str, object]:
    return {"jobs": _jobs_of(session, mails), "smtp_configured": bool(get_settings().smtp_host),
            "status_labels": STATUS_LABELS, "status_pills": STATUS_PILLS, "retrying": JobStatus.PENDING}


@router.get("/outbox", response_class=HTMLResponse)
def outbox_list(request: Request, session: SessionDep, user: UserDep, status: str = "") -> HTMLResponse:
    """The newest mails first, optionally of one status."""
    _require_reader(user)
    wanted = status if status in {s.value for s in MailStatus} else ""
    mails = notifications.list_mails(session=session, status=wanted or None, limit=200)
    return page(request, "outbox.html", {"mails": mails, "status": wanted,
                                         "statuses": [s.value for s in MailStatus], **_context(session, mails)},
                session=session, user=user)


@router.get("/outbox/{mail_id}", response_class=HTMLResponse)
def outbox_mail(request: Request, mail_id: int, session: SessionDep, user: UserDep) -> HTMLResponse:
    """One mail with its body."""
    _require_reader(user)
    mail = notifications.get_mail(session=session, mail_id=mail_id)
    return page(request, "outbox_mail.html", {"mail": mail, "recipients": notifications.recipients(mail),
                                              **_context(session, [mail])}, session=session, user=user)
