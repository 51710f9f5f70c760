"""ISO 8601 durations as process owners write them in diagrams (P3D, PT4H, P1DT12H, PT30M)."""

from __future__ import annotations

import re
from datetime import timedelta

from domain.errors import InvalidInput

_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


def parse_duration(text: str) -> timedelta:
    """The timedelta of an ISO 8601 duration without years or months (their length varies)."""
    match = _DURATION.match(text.strip())
    if not match or text.strip() in ("P", "PT") or text.strip().endswith("T"):
        raise InvalidInput(f"{text!r} is not an ISO 8601 duration such as P3D, PT4H or P1DT12H", code="bad_duration")
    parts = {k: int(v) for k, v in match.groupdict().items() if v}
    return timedelta(**parts)
