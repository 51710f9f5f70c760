"""gettext (Babel) for every UI string; the locale comes from the user's setting or Accept-Language."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal
from babel.support import NullTranslations, Translations

from domain.settings import get_settings

SUPPORTED = ("en", "zh_Hans_CN")
DIRECTORY = Path(__file__).parent / "translations"
ALIASES = {"zh": "zh_Hans_CN", "zh_cn": "zh_Hans_CN", "zh_hans": "zh_Hans_CN", "zh_hans_cn": "zh_Hans_CN",
           "en": "en", "en_us": "en", "en_gb": "en"}


def normalize(tag: str | None) -> str | None:
    """A supported locale for a language tag such as 'zh-CN' or 'en-US', else None."""
    if not tag:
        return None
    key = tag.strip().replace("-", "_").lower()
    return ALIASES.get(key) or ALIASES.get(key.split("_")[0])


def negotiate(user_locale: str | None, accept_language: str | None, default: str = "en") -> str:
    """The user's own setting first, then the browser's preferences by q-value, then the default."""
    if chosen := normalize(user_locale):
        return chosen
    prefs: list[tuple[float, str]] = []
    for part in (accept_language or "").split(","):
        lang, _, q = part.strip().partition(";q=")
        try:
            prefs.append((float(q) if q else 1.0, lang))
        except ValueError:
            continue
    for _, lang in sorted(prefs, key=lambda p: -p[0]):
        if chosen := normalize(lang):
            return chosen
    return normalize(default) or "en"


@lru_cache
def display_zone() -> ZoneInfo:
    """The time zone pages show times in (FLOWDESK_TIMEZONE, default UTC); stored times are always UTC."""
    try:
        return ZoneInfo(get_settings().timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@lru_cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalog for locale (English falls back to the source strings)."""
    return Translations.load(str(DIRECTORY), [locale], domain="messages")


class Formatter:
    """Dates, numbers and money formatted for one locale."""

    def __init__(self, locale: str) -> None:
        try:
            self.locale = Locale.parse(locale)
        except (UnknownLocaleError, ValueError):
            self.locale = Locale.parse("en")

    def money(self, amount: Decimal | str | int | None, currency: str = "CNY") -> str:
        if amount is None or amount == "":
            return ""
        return format_currency(Decimal(str(amount)), currency, locale=self.locale)

    def number(self, value: Decimal | str | int | float | None) -> str:
        if value is None or value == "":
            return ""
        return format_decimal(Decimal(str(value)), locale=self.locale)

    def date(self, value: date | datetime | str | None) -> str:
        if not value:
            return ""
        if isinstance(value, str):
            value = date.fromisoformat(value[:10])
        return format_date(value, format="medium", locale=self.locale)

    def datetime(self, value: datetime | None) -> str:
        if value is None:
            return ""
        return format_datetime(value, format="medium", tzinfo=display_zone(), locale=self.locale)
