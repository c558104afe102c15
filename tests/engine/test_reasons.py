"""How numbers, durations and lists read in reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from aegis.engine.model import RuleOutcome
from aegis.engine.reasons import (
    format_count,
    format_duration,
    format_rate,
    format_timestamp,
    join_words,
    rule_fired,
    threshold_decimals,
)
from aegis.spec.durations import Window
from aegis.spec.model import Decision


@pytest.mark.parametrize(
    ("rate", "decimals", "text"),
    [
        (20.0, 1, "20.0x"),
        (16.5, 1, "16.5x"),
        (14.399, 1, "14.4x"),
        (0.0, 1, "0.0x"),
        (0.2, 1, "0.2x"),
        (0.05, 1, "0.05x"),
        (0.0123, 1, "0.012x"),
        (0.00001, 1, "<0.0001x"),
        (14.45, 2, "14.45x"),
    ],
)
def test_format_rate_table(rate: float, decimals: int, text: str) -> None:
    assert format_rate(rate, decimals) == text


@pytest.mark.parametrize(("threshold", "decimals"), [(6.0, 1), (6, 1), (14.4, 1), (14.45, 2), (1e-9, 6)])
def test_threshold_decimals_table(threshold: float, decimals: int) -> None:
    assert threshold_decimals(threshold) == decimals


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(minutes=14), "14m"),
        (timedelta(minutes=14, seconds=30), "14m30s"),
        (timedelta(hours=1, minutes=5), "1h5m"),
        (timedelta(hours=1, minutes=5, seconds=30), "1h5m"),
        (timedelta(days=2, seconds=1), "2d"),
        (timedelta(days=1047, hours=1, seconds=16), "1047d1h"),
        (timedelta(seconds=59.9), "59s"),
        (timedelta(seconds=0.5), "0s"),
        (timedelta(0), "0s"),
    ],
)
def test_format_duration_table(span: timedelta, text: str) -> None:
    assert format_duration(span) == text


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2024, 5, 1, 11, 40, tzinfo=UTC), "2024-05-01T11:40:00Z"),
        (datetime(2024, 5, 1, 13, 40, tzinfo=timezone(timedelta(hours=2))), "2024-05-01T11:40:00Z"),
        (datetime(2024, 5, 1, 11, 40, 0, 500), "2024-05-01T11:40:00Z"),
    ],
)
def test_format_timestamp_table(moment: datetime, text: str) -> None:
    assert format_timestamp(moment) == text


@pytest.mark.parametrize(
    ("words", "text"), [([], ""), (["a"], "a"), (["a", "b"], "a and b"), (["a", "b", "c"], "a, b and c")]
)
def test_join_words_table(words: list[str], text: str) -> None:
    assert join_words(words) == text


@pytest.mark.parametrize(("value", "text"), [(100.0, "100"), (9.25, "9.25"), (1e20, "1e+20")])
def test_format_count_table(value: float, text: str) -> None:
    assert format_count(value) == text


def test_rule_fired_never_shows_a_burn_rate_below_the_threshold() -> None:
    # At one decimal 14.45 (a binary 14.4499...) prints "14.4x", which reads as below the threshold.
    outcome = RuleOutcome(
        name="precise",
        short_window=Window.parse("5m"),
        long_window=Window.parse("1h"),
        short_burn_rate=14.45,
        long_burn_rate=14.451,
        threshold=14.45,
        action=Decision.WARN,
        fired=True,
        evaluated=True,
    )
    assert rule_fired(outcome) == (
        "rule precise fired (WARN): burn rate 14.45x over 5m and 14.45x over 1h, "
        "both at or above the threshold 14.45x"
    )
