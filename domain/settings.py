"""Runtime settings, read once from the environment (FLOWDESK_*)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///flowdesk.db"
    broker_url: str | None = None
    secret_key: str = "flowdesk-dev-secret-change-me"
    default_locale: str = "en"
    timezone: str = "UTC"
    processes_dir: str = field(default_factory=lambda: os.path.join(os.path.dirname(__file__), "..", "processes"))

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """Settings from FLOWDESK_DATABASE_URL, FLOWDESK_BROKER_URL, FLOWDESK_SECRET_KEY."""
    return Settings(
        database_url=os.environ.get("FLOWDESK_DATABASE_URL", Settings.database_url),
        broker_url=os.environ.get("FLOWDESK_BROKER_URL") or None,
        secret_key=os.environ.get("FLOWDESK_SECRET_KEY", Settings.secret_key),
        default_locale=os.environ.get("FLOWDESK_LOCALE", Settings.default_locale),
        timezone=os.environ.get("FLOWDESK_TIMEZONE", Settings.timezone),
    )
