"""The mail outbox: queue a mail (a row, sent by a job after commit), read it, record what sending did.

Services flush, never commit. Whoever writes an outbox row gets its "mail" job in the same transaction
(tasks/mailer.py listens for new rows), so a mail is sent only if the work that wrote it commits.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain import clock
from domain.errors import InvalidInput, NotFound
from domain.notifications.models import MailStatus, OutboxMail
from domain.notifications.schemas import check_subject, normalize_addresses

MAX_ERROR_LENGTH = 2000


def queue_mail(*, session: Session, to: list[str] | str, subject: str, body: str,
               reference: str | None = None) -> OutboxMail:
    """A pending mail to the given addresses; InvalidInput when an address or the subject is not acceptable."""
    try:
        recipients = normalize_addresses(to)
        subject = check_subject(subject)
    except ValueError as exc:
        raise InvalidInput(str(exc), code="invalid_mail") from exc
    if reference is not None and len(reference) > 128:
        raise InvalidInput("the reference is longer than 128 characters", code="invalid_mail")
    now = clock.now()
    mail = OutboxMail(to_addrs=", ".join(recipients), subject=subject, body=body, reference=reference,
                      status=MailStatus.PENDING, created_at=now, next_attempt_at=now)
    session.add(mail)
    session.flush()
    return mail


def recipients(mail: OutboxMail) -> list[str]:
    """The mail's addresses as a list."""
    return [a.strip() for a in mail.to_addrs.split(",") if a.strip()]


def get_mail(*, session: Session, mail_id: int) -> OutboxMail:
    """The mail with this id, else NotFound."""
    mail = session.get(OutboxMail, mail_id)
    if mail is None:
        raise NotFound(f"mail {mail_id} not found", code="mail_not_found")
    return mail


def list_mails(*, session: Session, status: str | None = None, limit: int = 100) -> Sequence[OutboxMail]:
    """The newest mails first, optionally of one status."""
    stmt = select(OutboxMail).order_by(OutboxMail.created_at.desc(), OutboxMail.id.desc())
    if status:
        stmt = stmt.where(OutboxMail.status == status)
    return session.scalars(stmt.limit(min(max(limit, 1), 500))).all()


def mark_sent(*, session: Session, mail: OutboxMail, note: str | None = None) -> None:
    """The server accepted the mail (note: recipients it refused, if any)."""
    mail.status, mail.sent_at, mail.attempts = MailStatus.SENT, clock.now(), mail.attempts + 1
    mail.last_error = note[:MAX_ERROR_LENGTH] if note else None
    session.flush()


def mark_held(*, session: Session, mail: OutboxMail) -> None:
    """No mail server is configured: the mail stays in the outbox to be read there; not an error."""
    mail.status = MailStatus.HELD
    session.flush()


def record_failure(*, session: Session, mail: OutboxMail, error: str, final: bool) -> None:
    """A sending attempt failed; final when no attempt is left."""
    mail.attempts += 1
    mail.last_error = error[:MAX_ERROR_LENGTH]
    if final:
        mail.status = MailStatus.FAILED
    session.flush()
