"""Notification input shapes and the mail address check they share with the service."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

# A plain addr-spec (no display name): local@domain, the domain with a dot. No whitespace, quotes, angle brackets
# or line breaks, so an address can never add a header.
_ADDRESS = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
MAX_RECIPIENTS = 50
MAX_RECIPIENTS_LENGTH = 1024  # what mail_outbox.to_addrs holds, comma-joined
MAX_SUBJECT_LENGTH = 256


def normalize_addresses(value: list[str] | str) -> list[str]:
    """The addresses of a list or a comma/semicolon-separated string, trimmed, duplicates dropped.

    ValueError when one is not an address or none is given.
    """
    parts = re.split(r"[,;]", value) if isinstance(value, str) else list(value)
    found: list[str] = []
    for part in parts:
        if not isinstance(part, str):
            raise ValueError(f"not a mail address: {part!r}")
        address = part.strip()
        if not address:
            continue
        if len(address) > 254 or not _ADDRESS.fullmatch(address):
            raise ValueError(f"not a valid mail address: {address!r}")
        if address.lower() not in {f.lower() for f in found}:
            found.append(address)
    if not found:
        raise ValueError("at least one recipient is required")
    if len(found) > MAX_RECIPIENTS:
        raise ValueError(f"at most {MAX_RECIPIENTS} recipients per mail")
    if len(", ".join(found)) > MAX_RECIPIENTS_LENGTH:
        raise ValueError(f"the recipients take more than {MAX_RECIPIENTS_LENGTH} characters")
    return found


def check_subject(subject: str) -> str:
    """The subject trimmed; ValueError when empty, too long or spanning lines (a header must be one line)."""
    cleaned = subject.strip()
    if not cleaned:
        raise ValueError("the subject is empty")
    if len(cleaned) > MAX_SUBJECT_LENGTH:
        raise ValueError(f"the subject is longer than {MAX_SUBJECT_LENGTH} characters")
    if "\r" in cleaned or "\n" in cleaned:
        raise ValueError("the subject must be one line")
    return cleaned


class SendMailParams(BaseModel):
    """The parameters of notifications.send_mail; to is a list or one comma-separated string (easy in a diagram)."""

    model_config = ConfigDict(extra="forbid")

    to: list[str] | str
    subject: str
    body: str
    reference: Annotated[str, Field(max_length=128)] | None = None

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: list[str] | str) -> list[str]:
        return normalize_addresses(value)

    @field_validator("subject")
    @classmethod
    def _subject(cls, value: str) -> str:
        return check_subject(value)
