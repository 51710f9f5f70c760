"""The mail outbox: a mail is a row first; a job sends it after the transaction that wrote it commits."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from domain import clock
from domain.db import Base


class MailStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    HELD = "held"  # no SMTP server configured: kept, readable on the outbox page; not an error
    FAILED = "failed"


class OutboxMail(Base):
    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    to_addrs: Mapped[str] = mapped_column(String(1024))  # comma-separated
    subject: Mapped[str] = mapped_column(String(256))
    body: Mapped[str] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(String(128), default=None)  # e.g. "instance:42"
    status: Mapped[MailStatus] = mapped_column(String(16), default=MailStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    next_attempt_at: Mapped[datetime] = mapped_column(default=clock.now)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
