"""Validation messages made readable: jsonschema's English (passed on by engine.forms) -> translated sentences."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from web.form_html import N_

RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"is less than or equal to the minimum of (?P<limit>.+)$"), N_("Must be more than %(limit)s.")),
    (re.compile(r"is less than the minimum of (?P<limit>.+)$"), N_("Must be at least %(limit)s.")),
    (re.compile(r"is greater than or equal to the maximum of (?P<limit>.+)$"), N_("Must be less than %(limit)s.")),
    (re.compile(r"is greater than the maximum of (?P<limit>.+)$"), N_("Must be at most %(limit)s.")),
    (re.compile(r"is not a multiple of (?P<limit>.+)$"), N_("Must be a multiple of %(limit)s.")),
    (re.compile(r"should be non-empty$"), N_("This field is required.")),
    (re.compile(r"is too short$"), N_("Too short.")),
    (re.compile(r"is too long$"), N_("Too long.")),
    (re.compile(r"is not one of "), N_("Choose one of the options.")),
    (re.compile(r"is not a 'date'$"), N_("Enter a valid date.")),
]


def _plain(value: str) -> str:
    """Decimal('0.01') -> 0.01 (the engine validates Decimals, the message shows their repr)."""
    match = re.fullmatch(r"Decimal\('(.+)'\)", value.strip())
    return match.group(1) if match else value.strip()


def readable(message: str, gettext: Callable[[str], str]) -> str:
    """One validation message as a translated sentence (unknown ones are passed through gettext as they are)."""
    for pattern, msgid in RULES:
        if match := pattern.search(message):
            return gettext(msgid) % {"limit": _plain(match.groupdict().get("limit") or "")}
    return gettext(message)


def readable_errors(errors: list[dict[str, Any]] | None, gettext: Callable[[str], str]) -> list[dict[str, Any]]:
    """InvalidInput.errors with readable messages."""
    return [{**e, "message": readable(str(e.get("message", "")), gettext)} for e in errors or []]
