"""Window: v0.1.0's duration syntax, bounded in digits, printed in v0.1.0's units."""

from __future__ import annotations

import pytest

from aegis.spec.durations import DurationError, Window


@pytest.mark.parametrize(
    ("text", "seconds", "printed"),
    [
        ("30s", 30, "30s"),
        ("120s", 120, "2m"),
        ("90m", 5400, "90m"),
        ("1h", 3600, "1h"),
        ("24h", 86400, "1d"),
        ("30d", 2592000, "30d"),
        ("7d", 604800, "7d"),
        ("2w", 1209600, "14d"),
        ("05m", 300, "5m"),
        (" 5m ", 300, "5m"),
        ("999999999s", 999999999, "999999999s"),
    ],
)
def test_window_parse_reads_and_prints(text: str, seconds: int, printed: str) -> None:
    window = Window.parse(text)

    assert (window.seconds, window.text, window.as_written) == (seconds, printed, text.strip())


@pytest.mark.parametrize(
    "text", ["0s", "000m", "1000000000s", "1" * 5000 + "d", "1.5h", "1H", "5 m", "1y", "", "-5m"]
)
def test_window_parse_refuses(text: str) -> None:
    with pytest.raises(DurationError) as raised:
        Window.parse(text)

    assert len(str(raised.value)) < 120, "the message quotes a snippet, never the whole text"


@pytest.mark.parametrize("value", [None, 5, 5.0, ["5m"]])
def test_window_parse_refuses_non_text(value: object) -> None:
    with pytest.raises(DurationError):
        Window.parse(value)


def test_window_equality_ignores_spelling() -> None:
    assert Window.parse("60m") == Window.parse("1h") == Window(3600)
    assert hash(Window.parse("7d")) == hash(Window.parse("1w"))
    assert Window(300).as_written == "5m"
