"""What a replay may cover: bounded steps, no future, whole seconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aegis.replay.span import MAX_STEPS, ReplaySpan, SpanError, parse_step
from aegis.spec.durations import Window

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_span_steps_fall_from_the_start_up_to_the_end() -> None:
    span = ReplaySpan.checked(
        NOW - timedelta(minutes=10) + timedelta(microseconds=5), NOW, Window(180), now=NOW
    )
    assert span.start == NOW - timedelta(minutes=10)  # whole seconds
    assert [t - span.start for t in span.times()] == [timedelta(minutes=m) for m in (0, 3, 6, 9)]
    assert span.error_ratio_window == Window(180)
    assert ReplaySpan.checked(NOW, NOW, Window(15), now=NOW).error_ratio_window == Window(60)


@pytest.mark.parametrize(
    ("start", "end", "step", "message"),
    [
        (NOW, NOW - timedelta(seconds=1), "1m", "is before the start"),
        (NOW, NOW + timedelta(minutes=5), "1m", "is in the future"),
        (NOW - timedelta(days=30), NOW, "1m", f"at most {MAX_STEPS}: use a step of at least 5m"),
        (NOW - timedelta(days=365), NOW, "1m", "use a step of at least 53m"),
    ],
)
def test_span_refuses_what_it_cannot_replay(start: datetime, end: datetime, step: str, message: str) -> None:
    with pytest.raises(SpanError, match=None) as raised:
        ReplaySpan.checked(start, end, parse_step(step), now=NOW)
    assert message in str(raised.value)


def test_span_step_is_a_duration() -> None:
    with pytest.raises(SpanError, match="step: expected a duration like 30s"):
        parse_step("1 minute")
    assert ReplaySpan.checked(NOW - timedelta(days=30), NOW, parse_step("5m"), now=NOW).count == 8641
