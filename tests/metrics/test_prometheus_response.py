"""Answers, retries and evidence, as pure functions (no server needed)."""

from __future__ import annotations

import asyncio
import json
import random
import re
from datetime import UTC, datetime

import pytest

from aegis.metrics._evidence import longest_gap, sample_times
from aegis.metrics._response import QueryData, QueryFailure, UnusableResult, classify, single_value
from aegis.metrics._retry import Backoff, parse_retry_after
from aegis.metrics._sharing import SharedResults
from aegis.metrics.prometheus import aligned


def _doc(**fields: object) -> bytes:
    return json.dumps(fields).encode()


def _vector(*values: str) -> bytes:
    result = [{"metric": {"i": str(i)}, "value": [1, v]} for i, v in enumerate(values)]
    return _doc(status="success", data={"resultType": "vector", "result": result})


CLASSIFIED = [
    # status, body, outcome, retryable
    (400, _doc(status="error", errorType="bad_data", error="parse error"), "rejected", False),
    (422, _doc(status="error", errorType="execution", error="too many samples"), "rejected", False),
    (422, _doc(status="error", errorType="422", error="VictoriaMetrics says no"), "rejected", False),
    (400, b"plain text from a proxy", "rejected", False),
    (401, b"unauthorized", "http_error", False),
    (404, b"404 page not found", "http_error", False),
    (429, b"", "rate_limited", True),
    (500, b"<html>Internal</html>", "server_error", True),
    (503, _doc(status="error", errorType="unavailable", error="x"), "server_error", True),
    (502, b"", "server_error", True),
    (200, _doc(status="error", errorType="internal", error="boom"), "query_error", True),
    (200, b"not json", "invalid_response", True),
    (200, _doc(status="success", data={"resultType": "vector"}), "invalid_response", True),
    (200, _doc(status="success", data={"resultType": "tensor", "result": []}), "invalid_response", True),
    (200, _doc(answer=42), "invalid_response", True),
]


@pytest.mark.parametrize(("status", "body", "outcome", "retryable"), CLASSIFIED)
def test_classify_failures(status: int, body: bytes, outcome: str, retryable: bool) -> None:
    failure = classify(status, body)
    assert isinstance(failure, QueryFailure)
    assert (failure.outcome, failure.retryable) == (outcome, retryable)


def test_classify_keeps_the_servers_words_for_a_rejected_query() -> None:
    failure = classify(
        400, _doc(status="error", errorType="bad_data", error='1:15: parse error: unclosed "("')
    )
    assert isinstance(failure, QueryFailure) and failure.detail == '1:15: parse error: unclosed "("'
    assert failure.status == 400


@pytest.mark.parametrize(
    ("body", "value"),
    [
        (_vector("1.5", "2.5"), 4.0),
        (_vector(), None),
        (_vector("1", "NaN"), None),
        (_doc(status="success", data={"resultType": "scalar", "result": [1, "0"]}), 0.0),
    ],
)
def test_single_value_sums_series_and_treats_nan_as_no_data(body: bytes, value: float | None) -> None:
    data = classify(200, body)
    assert isinstance(data, QueryData)
    assert single_value(data) == value


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (_vector("1", "+Inf"), "returned +Inf"),
        (_vector("-Inf"), "returned -Inf"),
        (_doc(status="success", data={"resultType": "matrix", "result": []}), "range vector"),
        (_doc(status="success", data={"resultType": "string", "result": [1, "s"]}), "a string"),
    ],
)
def test_single_value_refuses_what_cannot_be_an_sli(body: bytes, words: str) -> None:
    data = classify(200, body)
    assert isinstance(data, QueryData)
    with pytest.raises(UnusableResult, match=re.escape(words)):
        single_value(data)


def test_backoff_grows_with_jitter_and_stays_capped() -> None:
    backoff, rng = Backoff(initial=0.2, maximum=1.0), random.Random(7)
    for retry, ceiling in [(1, 0.2), (2, 0.4), (3, 0.8), (4, 1.0), (10, 1.0)]:
        delays = {backoff.delay(retry, rng) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("5", 5.0), (" 0 ", 0.0), ("Wed, 01 May 2024 12:00:30 GMT", 30.0), ("soon", None), (None, None)],
)
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, now=datetime(2024, 5, 1, 12, 0, tzinfo=UTC)) == seconds


@pytest.mark.parametrize(
    ("times", "window", "end", "gap"),
    [
        ([100.0, 115.0, 130.0, 145.0], 60, 150.0, 15.0),  # regular samples
        ([100.0, 115.0, 190.0], 120, 200.0, 75.0),  # a hole in the middle
        ([10.0, 20.0], 60, 100.0, 60.0),  # nothing inside: the whole window
        ([20.0, 70.0, 95.0], 60, 100.0, 30.0),  # from the window's start to the first sample
        ([41.0, 50.0], 60, 100.0, 50.0),  # from the last sample to the end
    ],
)
def test_longest_gap(times: list[float], window: int, end: float, gap: float) -> None:
    assert longest_gap(times, window, end) == gap


def test_sample_times_merge_the_timeline_with_the_exact_newest() -> None:
    assert sample_times([10.0, 10.0, 25.0, 25.0], 38.0) == (10.0, 25.0, 38.0)
    assert sample_times([], None) == ()


def test_aligned_rounds_down_to_the_grid_in_utc() -> None:
    moment = datetime(2024, 5, 1, 12, 0, 17, 500000, tzinfo=UTC)
    assert aligned(moment, 10) == datetime(2024, 5, 1, 12, 0, 10, tzinfo=UTC)
    assert aligned(moment.replace(tzinfo=None), 0) == moment


async def test_shared_results_ask_once_and_keep_only_good_answers() -> None:
    clock = [0.0]
    shared: SharedResults[str, int] = SharedResults(ttl=10, clock=lambda: clock[0])
    calls: list[str] = []

    async def produce(value: int) -> int:
        calls.append("asked")
        await asyncio.sleep(0.01)
        return value

    together = await asyncio.gather(*(shared.get("q", lambda: produce(1), lambda v: v > 0) for _ in range(3)))
    assert [v for v, _ in together] == [1, 1, 1] and sorted(h for _, h in together) == [
        "fresh",
        "shared",
        "shared",
    ]
    assert await shared.get("q", lambda: produce(2), lambda v: v > 0) == (1, "cached")
    clock[0] = 11.0  # expired
    assert await shared.get("q", lambda: produce(-1), lambda v: v > 0) == (-1, "fresh")
    assert await shared.get("q", lambda: produce(3), lambda v: v > 0) == (3, "fresh")  # -1 was not kept
    # One for the three concurrent callers, none for the cached answer, one each after that.
    assert len(calls) == 3
