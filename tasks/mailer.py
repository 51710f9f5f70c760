"""Mail is a job: every new outbox row gets a "mail" job in the transaction that wrote it; the job sends it by SMTP.

Without FLOWDESK_SMTP_HOST (the embedded default) the job marks the mail held: it stays readable on /outbox.
Imported by both transports and by the web app, so the listener is installed wherever mail is written.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper, Session, object_session

from domain import clock
from domain.db import transaction
from domain.notifications import service as notifications
from domain.notifications.models import MailStatus, OutboxMail
from domain.settings import Settings, get_settings
from engine import jobs
from engine.models import Job, JobStatus

SMTP_TIMEOUT = 20.0  # seconds; well inside the job's lease, so no second worker starts the same mail
MAX_ATTEMPTS = 5
BACKOFF_SECONDS = 30.0  # then 60, 120, 240: a mail server restart is survived


def job_key(mail_id: int) -> str:
    """The idempotency key of a mail's job."""
    return f"mail:{mail_id}"


@event.listens_for(OutboxMail, "after_insert")
def _enqueue_mail_job(_mapper: Mapper[Any], connection: Connection, mail: OutboxMail) -> None:
    # Inside the flush that inserts the mail, so jobs.enqueue (which flushes) cannot run here: the job row is
    # written on the same connection instead. Mail and job commit or roll back together, whoever wrote the mail.
    now = clock.now()
    job_id = connection.execute(insert(Job).returning(Job.id), {
        "kind": "mail", "idempotency_key": job_key(mail.id), "status": JobStatus.PENDING, "due_at": now,
        "created_at": now, "attempts": 0, "payload": {"mail_id": mail.id}, "max_attempts": MAX_ATTEMPTS,
        "backoff_seconds": BACKOFF_SECONDS,
    }).scalar_one()
    session = object_session(mail)
    if session is not None:
        jobs.dispatch_after_commit(session, job_id)


def build_message(mail: OutboxMail, settings: Settings) -> EmailMessage:
    """The MIME message of an outbox mail; its Message-ID is stable, so a receiver can drop a resent copy."""
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = ", ".join(notifications.recipients(mail))
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(clock.now())
    domain = settings.smtp_from.rpartition("@")[2] or "flowdesk"
    message["Message-ID"] = f"<flowdesk-mail-{mail.id}@{domain}>"
    if mail.reference:
        message["X-Flowdesk-Reference"] = mail.reference
    message.set_content(mail.body)
    return message


def deliver(message: EmailMessage, settings: Settings) -> dict[str, tuple[int, bytes]]:
    """Hand the message to the configured SMTP server; the recipients it refused (all refused raises)."""
    assert settings.smtp_host is not None
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT) as smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        return smtp.send_message(message)


@jobs.handler("mail")
def send_mail(session: Session, job: Job) -> None:
    """Send one outbox mail; a mail already sent (or held) is left alone, a failure raises so the job retries."""
    mail_id = int(job.payload["mail_id"])
    final_attempt = job.attempts >= job.max_attempts
    mail = session.get(OutboxMail, mail_id)
    if mail is None or mail.status in (MailStatus.SENT, MailStatus.HELD):
        return
    settings = get_settings()
    if not settings.smtp_host:
        notifications.mark_held(session=session, mail=mail)
        return
    message = build_message(mail, settings)
    # Nothing is written yet: end the transaction while waiting on the network (on SQLite it holds the write lock).
    session.rollback()
    try:
        refused = deliver(message, settings)
    except (smtplib.SMTPException, OSError) as exc:
        _record_failure(mail_id, f"{type(exc).__name__}: {exc}", final=final_attempt)
        raise
    note = f"refused by the server: {', '.join(sorted(refused))}" if refused else None
    notifications.mark_sent(session=session, mail=notifications.get_mail(session=session, mail_id=mail_id),
                            note=note)


def _record_failure(mail_id: int, error: str, *, final: bool) -> None:
    # Its own transaction: the job's transaction rolls back when the handler raises.
    with transaction() as session:
        mail = notifications.get_mail(session=session, mail_id=mail_id)
        notifications.record_failure(session=session, mail=mail, error=error, final=final)
