"""Timer expressions in plain language for the modeler's properties panel ("every Monday 09:00").

Phrases are returned untranslated (an English template + parameters); the web layer translates the template with
the user's catalog and fills it in, so the wording exists once, in the catalog. Unparseable text -> InvalidInput.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from domain.errors import InvalidInput

DURATION = "timeDuration"
DATE = "timeDate"
CYCLE = "timeCycle"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DURATION = re.compile(
    r"^P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)
# (singular template, plural template) per unit, largest first
UNITS = (
    ("years", "1 year", "%(n)s years"), ("months", "1 month", "%(n)s months"), ("weeks", "1 week", "%(n)s weeks"),
    ("days", "1 day", "%(n)s days"), ("hours", "1 hour", "%(n)s hours"), ("minutes", "1 minute", "%(n)s minutes"),
    ("seconds", "1 second", "%(n)s seconds"),
)
# What a duration counts from, by where the timer sits.
AFTER = {
    "boundary": "%(duration)s after the task starts",
    "intermediate": "%(duration)s after the process reaches this event",
    "start": "%(duration)s after deployment",
}


@dataclass(frozen=True)
class Phrase:
    """An English template with its parameters; a parameter may itself be a Phrase (translated first)."""

    template: str
    params: dict[str, str | int | Phrase] = field(default_factory=dict)

    def text(self, gettext: Callable[[str], str] = lambda s: s) -> str:
        """The phrase in the language of gettext."""
        values = {k: v.text(gettext) if isinstance(v, Phrase) else v for k, v in self.params.items()}
        return gettext(self.template) % values if values else gettext(self.template)


def _join(parts: list[Phrase]) -> Phrase:
    out = parts[0]
    for part in parts[1:]:
        out = Phrase("%(first)s %(second)s", {"first": out, "second": part})
    return out


def _duration_parts(text: str) -> dict[str, int]:
    match = _DURATION.match(text)
    if not match or text in ("P", "PT") or text.endswith("T"):
        raise InvalidInput(f"{text!r} is not an ISO 8601 duration such as PT4H, P3D or P1DT12H", code="bad_timer")
    return {k: int(v) for k, v in match.groupdict().items() if v}


def duration_phrase(text: str) -> Phrase:
    """"P1DT12H" -> "1 day 12 hours"."""
    parts = _duration_parts(text)
    phrases = [Phrase(one if n == 1 else many, {} if n == 1 else {"n": n})
               for unit, one, many in UNITS if (n := parts.get(unit, 0))]
    return _join(phrases) if phrases else Phrase("%(n)s seconds", {"n": 0})


def _date(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{text!r} is not an ISO 8601 date and time such as 2026-12-01T09:00",
                           code="bad_timer") from None


def _clock(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def _cycle(text: str) -> Phrase:
    parts = text.split("/")
    if len(parts) not in (2, 3) or not re.fullmatch(r"R\d*", parts[0]):
        raise InvalidInput(f"{text!r} is not an ISO 8601 cycle such as R/PT24H or R/2026-11-30T09:00/P7D",
                           code="bad_timer")
    count = int(parts[0][1:]) if parts[0][1:] else None
    start = _date(parts[1]) if len(parts) == 3 and not parts[1].startswith("P") else None
    period = parts[2] if start is not None else parts[1]
    if len(parts) == 3 and start is None:  # R/duration/end
        _date(parts[2])
    step = _duration_parts(period)
    phrase = _every(period, step, start)
    if count is not None:
        phrase = Phrase("%(cycle)s, %(n)s times", {"cycle": phrase, "n": count})
    return phrase


def _every(period: str, step: dict[str, int], start: datetime | None) -> Phrase:
    if start is not None and (step == {"days": 7} or step == {"weeks": 1}):
        return Phrase("every %(weekday)s %(time)s", {"weekday": Phrase(WEEKDAYS[start.weekday()]),
                                                     "time": _clock(start)})
    if start is not None and step == {"days": 1}:
        return Phrase("every day at %(time)s", {"time": _clock(start)})
    if step == {"days": 1}:
        return Phrase("every day")
    every = Phrase("every %(duration)s", {"duration": duration_phrase(period)})
    if start is None:
        return every
    return Phrase("%(cycle)s from %(start)s", {"cycle": every, "start": start.strftime("%Y-%m-%d %H:%M")})


def literal(expression: str) -> str | None:
    """The string a timer expression stands for when it is a constant (timer expressions are Python)."""
    try:
        value = ast.literal_eval(expression.strip())
    except (ValueError, SyntaxError):
        return None
    if not isinstance(value, str):
        raise InvalidInput("a timer must be an ISO 8601 string such as \"PT2H\"", code="bad_timer")
    return value.strip()


def describe(expression: str, *, kind: str, position: str = "intermediate") -> Phrase:
    """The plain-language phrase of a timer expression; kind is timeDuration/timeDate/timeCycle, position is
    boundary/intermediate/start."""
    if not expression.strip():
        raise InvalidInput("the timer expression is empty", code="bad_timer")
    value = literal(expression)
    if value is None:
        return Phrase("computed from the process data when the timer starts: %(expression)s",
                      {"expression": expression.strip()})
    if kind == DURATION:
        return Phrase(AFTER.get(position, AFTER["intermediate"]), {"duration": duration_phrase(value)})
    if kind == DATE:
        moment = _date(value)
        return Phrase("once, on %(date)s at %(time)s", {"date": moment.strftime("%Y-%m-%d"), "time": _clock(moment)})
    if kind == CYCLE:
        return _cycle(value)
    raise InvalidInput(f"unknown timer kind {kind!r}: use timeDuration, timeDate or timeCycle", code="bad_timer")

