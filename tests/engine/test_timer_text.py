"""Timer expressions in plain language, in English and (through the catalog) in Chinese."""

from __future__ import annotations

import pytest

from domain.errors import InvalidInput
from engine.timer_text import describe


def en(expression: str, kind: str, position: str = "intermediate") -> str:
    return describe(expression, kind=kind, position=position).text()


def test_a_weekly_cycle_reads_as_every_weekday_at_a_time() -> None:
    assert en('"R/2026-11-30T09:00/P7D"', "timeCycle") == "every Monday 09:00"


def test_a_weekly_cycle_counted_in_weeks_reads_the_same() -> None:
    assert en('"R/2026-12-04T17:30/P1W"', "timeCycle") == "every Friday 17:30"


def test_a_boundary_duration_counts_from_the_start_of_the_task() -> None:
    assert en('"P3D"', "timeDuration", "boundary") == "3 days after the task starts"


def test_an_intermediate_duration_counts_from_reaching_the_event() -> None:
    assert en('"PT1H"', "timeDuration") == "1 hour after the process reaches this event"


def test_mixed_units_are_listed_largest_first() -> None:
    assert en('"P1DT12H30M"', "timeDuration", "boundary") == "1 day 12 hours 30 minutes after the task starts"


def test_a_cycle_without_start_and_with_a_count() -> None:
    assert en('"R5/PT24H"', "timeCycle") == "every 24 hours, 5 times"


def test_a_daily_cycle_with_a_start_names_the_time() -> None:
    assert en('"R/2026-11-30T08:15/P1D"', "timeCycle") == "every day at 08:15"


def test_a_date_reads_as_once_on_that_day() -> None:
    assert en('"2026-12-01T09:00:00Z"', "timeDate") == "once, on 2026-12-01 at 09:00"


def test_an_expression_computed_from_data_is_named_as_such() -> None:
    assert en("deadline", "timeDate") == "computed from the process data when the timer starts: deadline"


@pytest.mark.parametrize(("expression", "kind"), [
    ('"P3X"', "timeDuration"), ('"PT"', "timeDuration"), ('"next monday"', "timeDate"),
    ('"every week"', "timeCycle"), ('"R/2026-13-01T09:00/P7D"', "timeCycle"), ("42", "timeDuration"), ("", "timeDate"),
])
def test_unreadable_timers_are_refused_with_a_reason(expression: str, kind: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        describe(expression, kind=kind)
    assert exc.value.code == "bad_timer" and exc.value.message


def test_the_phrase_is_translated_piece_by_piece() -> None:
    catalog = {"every %(weekday)s %(time)s": "每%(weekday)s %(time)s", "Monday": "周一",
               "%(duration)s after the task starts": "任务开始后 %(duration)s", "%(n)s days": "%(n)s 天"}
    zh = lambda s: catalog.get(s, s)  # noqa: E731 - a gettext stand-in
    assert describe('"R/2026-11-30T09:00/P7D"', kind="timeCycle").text(zh) == "每周一 09:00"
    assert describe('"P3D"', kind="timeDuration", position="boundary").text(zh) == "任务开始后 3 天"
