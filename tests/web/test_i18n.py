"""Locale negotiation and formatting for the two catalogs."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from web import i18n
from web.i18n import Formatter, negotiate


def test_the_users_setting_beats_the_browser() -> None:
    assert negotiate("zh_Hans_CN", "en-US,en;q=0.9") == "zh_Hans_CN"


def test_accept_language_is_read_by_quality() -> None:
    assert negotiate(None, "de;q=1.0, zh-CN;q=0.8, en;q=0.5") == "zh_Hans_CN"
    assert negotiate(None, "fr") == "en"


def test_money_is_formatted_for_the_locale_from_a_decimal() -> None:
    assert Formatter("en").money(Decimal("74100.5"), "CNY") == "CN¥74,100.50"
    assert Formatter("zh_Hans_CN").money(Decimal("74100.5"), "CNY") == "¥74,100.50"


def test_times_are_shown_in_the_configured_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(i18n, "display_zone", lambda: i18n.ZoneInfo("Asia/Shanghai"))
    shown = Formatter("en").datetime(datetime(2026, 11, 24, 1, 30, tzinfo=UTC))
    assert "9:30" in shown and "Nov 24, 2026" in shown
