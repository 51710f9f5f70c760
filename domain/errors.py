"""The error hierarchy: each type maps once to an HTTP status (see web.errors)."""

from __future__ import annotations

from typing import Any


class FlowdeskError(Exception):
    """Base of every error Flowdesk reports to a user."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.errors = errors or []


class NotFound(FlowdeskError):
    code = "not_found"


class Conflict(FlowdeskError):
    code = "conflict"


class InvalidInput(FlowdeskError):
    code = "invalid_input"


class Forbidden(FlowdeskError):
    code = "forbidden"


class Unauthorized(FlowdeskError):
    code = "unauthorized"
