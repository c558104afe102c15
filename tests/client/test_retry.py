"""Backoff: bounded, jittered, and never past the call's deadline."""

from __future__ import annotations

import grpc
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aegis.client.errors import error_for
from aegis.client.retry import RetryPolicy

UNAVAILABLE = error_for(grpc.StatusCode.UNAVAILABLE, "down")


@given(
    rng=st.floats(min_value=0, max_value=1, exclude_max=True),
    attempts=st.integers(min_value=1, max_value=10),
)
def test_each_wait_is_within_its_exponential_cap(rng: float, attempts: int) -> None:
    policy = RetryPolicy(max_attempts=10, initial_backoff=0.1, max_backoff=2.0)
    schedule = policy.start(None, rng=lambda: rng)
    for retry in range(attempts - 1):
        schedule.timeout()
        delay = schedule.delay_before_retry(UNAVAILABLE)
        assert delay is not None
        assert 0 <= delay <= min(2.0, 0.1 * 2**retry)


def test_max_attempts_counts_the_first_try() -> None:
    schedule = RetryPolicy(max_attempts=2).start(None, rng=lambda: 0.5)
    schedule.timeout()
    assert schedule.delay_before_retry(UNAVAILABLE) is not None
    schedule.timeout()
    assert schedule.delay_before_retry(UNAVAILABLE) is None


@pytest.mark.parametrize("code", sorted(set(grpc.StatusCode) - {grpc.StatusCode.UNAVAILABLE}, key=str))
def test_only_unavailable_is_retried_by_default(code: grpc.StatusCode) -> None:
    schedule = RetryPolicy().start(None)
    schedule.timeout()
    assert schedule.delay_before_retry(error_for(code, "final")) is None


def test_attempt_timeouts_share_the_calls_deadline() -> None:
    now = [0.0]
    schedule = RetryPolicy().start(5.0, clock=lambda: now[0])
    assert schedule.timeout() == 5.0
    now[0] = 4.0
    assert schedule.timeout() == 1.0
    now[0] = 6.0
    assert schedule.timeout() == 0.0


@pytest.mark.parametrize(
    "options",
    [{"max_attempts": 0}, {"initial_backoff": -1.0}, {"multiplier": 0.5}],
    ids=["no attempts", "negative backoff", "shrinking"],
)
def test_nonsense_policies_are_refused(options: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**options)  # type: ignore[arg-type]
