"""Runtime settings, read once from the environment (FLOWDESK_*)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///flowdesk.db"
    broker_url: str | None = None
    secret_key: str = "flowdesk-dev-secret-change-me"
    default_locale: str = "en"
    timezone: str = "UTC"
    # Outgoing mail; without a host, mails are held in the outbox (readable on /outbox) instead of sent.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "flowdesk@localhost"
    smtp_starttls: bool = False
    # How long a claimed job belongs to its worker; after that a dead worker's job goes to another one.
    job_lease_seconds: float = 60.0
    # Modules with OPERATORS beyond the domain's own (a deployment's custom service-task operators).
    operator_modules: tuple[str, ...] = ()
    # Days after which the history of completed or cancelled instances moves to the archive; None keeps it hot.
    retention_days: int | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """Settings from FLOWDESK_DATABASE_URL, FLOWDESK_BROKER_URL, FLOWDESK_SECRET_KEY, FLOWDESK_SMTP_*, and more."""
    return Settings(
        database_url=os.environ.get("FLOWDESK_DATABASE_URL", Settings.database_url),
        broker_url=os.environ.get("FLOWDESK_BROKER_URL") or None,
        secret_key=os.environ.get("FLOWDESK_SECRET_KEY", Settings.secret_key),
        default_locale=os.environ.get("FLOWDESK_LOCALE", Settings.default_locale),
        timezone=os.environ.get("FLOWDESK_TIMEZONE", Settings.timezone),
        smtp_host=os.environ.get("FLOWDESK_SMTP_HOST") or None,
        smtp_port=int(os.environ.get("FLOWDESK_SMTP_PORT") or Settings.smtp_port),
        smtp_user=os.environ.get("FLOWDESK_SMTP_USER") or None,
        smtp_password=os.environ.get("FLOWDESK_SMTP_PASSWORD") or None,
        smtp_from=os.environ.get("FLOWDESK_SMTP_FROM") or Settings.smtp_from,
        smtp_starttls=os.environ.get("FLOWDESK_SMTP_STARTTLS", "").strip().lower() in {"1", "true", "yes", "on"},
        job_lease_seconds=float(os.environ.get("FLOWDESK_JOB_LEASE_SECONDS") or Settings.job_lease_seconds),
        operator_modules=tuple(m.strip() for m in os.environ.get("FLOWDESK_OPERATOR_MODULES", "").split(",")
                               if m.strip()),
        retention_days=(int(os.environ["FLOWDESK_RETENTION_DAYS"]) if os.environ.get("FLOWDESK_RETENTION_DAYS")
                        else None),
    )
