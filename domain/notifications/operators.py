"""Notification operations that service tasks may call (collected by the engine's registry)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from domain.notifications import service
from domain.notifications.schemas import SendMailParams
from domain.operators import Operator


def send_mail(*, session: Session, to: list[str], subject: str, body: str,
              reference: str | None = None) -> dict[str, Any]:
    """Queue a mail in the outbox; it is sent after the step commits (or held when no mail server is set up)."""
    mail = service.queue_mail(session=session, to=to, subject=subject, body=body, reference=reference)
    return {"mail_id": mail.id, "to": service.recipients(mail), "status": str(mail.status)}


OPERATORS: list[Operator] = [
    Operator(
        name="notifications.send_mail",
        func=send_mail,
        params=SendMailParams,
        description="Send a mail (to: a list or a comma-separated string of addresses). Queued in the outbox and "
                    "sent after the step commits.",
    ),
]
