"""Reading a Prometheus HTTP API answer: data, or a failure that says what went wrong.

The API answers ``{"status": "success", "data": {"resultType": ..., "result": ...}}``
or ``{"status": "error", "errorType": ..., "error": ...}``, but what reaches us may
also be a proxy's HTML page, a truncated body or an empty 502. Every such case
becomes a ``QueryFailure`` with a counter label (``outcome``), a sentence for a
person, and whether trying again could help: a query the server refused
(HTTP 400/422, ``bad_data``/``execution``) will be refused again, so it is not
retried and the server's own words are kept for the reason.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# errorType values (Prometheus names, VictoriaMetrics sends the status code) that
# mean "this query is wrong", not "the server is unwell".
_REJECTED_TYPES = {"bad_data", "execution", "400", "422"}
_SNIPPET = 200


@dataclass(frozen=True)
class Sample:
    labels: Mapping[str, str]
    value: float


@dataclass(frozen=True)
class Series:
    labels: Mapping[str, str]
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class QueryData:
    """A successful answer. Scalars are one label-less sample."""

    result_type: str
    samples: tuple[Sample, ...] = ()
    series: tuple[Series, ...] = ()


@dataclass(frozen=True)
class QueryFailure:
    # Counter label: rejected, http_error, server_error, rate_limited, timeout,
    # connection_error, invalid_response, query_error, credentials, budget.
    outcome: str
    # One sentence, e.g. "answered HTTP 500: upstream down"; for ``rejected`` the server's error.
    detail: str
    retryable: bool
    retry_after: float | None = None
    # The HTTP status, when there was an answer.
    status: int | None = None

    @property
    def rejected(self) -> bool:
        return self.outcome == "rejected"


QueryOutcome = QueryData | QueryFailure


def snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _SNIPPET else flat[:_SNIPPET] + "..."


def classify(status: int, body: bytes, retry_after: float | None = None) -> QueryOutcome:
    """One HTTP answer -> data or failure."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        document = None
    if not isinstance(document, dict) or document.get("status") not in ("success", "error"):
        return _non_api_answer(status, body, retry_after)
    if document["status"] == "error":
        return _api_error(status, document, retry_after)
    if status >= 300:
        return _non_api_answer(status, body, retry_after)
    try:
        return _parse_data(document.get("data"))
    except (KeyError, TypeError, ValueError, IndexError) as err:
        text = snippet(body.decode(errors="replace"))
        return QueryFailure("invalid_response", f"sent a malformed result ({err}): {text}", True)


def _non_api_answer(status: int, body: bytes, retry_after: float | None) -> QueryFailure:
    text = snippet(body.decode(errors="replace")) or "(empty body)"
    if status == 429:
        return QueryFailure("rate_limited", _rate_limited(retry_after), True, retry_after)
    if status >= 500 or status == 408:
        return QueryFailure("server_error", f"answered HTTP {status}: {text}", True, retry_after)
    if status in (400, 422):
        return QueryFailure("rejected", text, False, status=status)
    if status >= 300:
        return QueryFailure("http_error", f"answered HTTP {status}: {text}", False)
    return QueryFailure("invalid_response", f"sent something that is not Prometheus API JSON: {text!r}", True)


def _api_error(status: int, document: Mapping[str, Any], retry_after: float | None) -> QueryFailure:
    error_type = str(document.get("errorType", "") or "")
    error = snippet(str(document.get("error", "") or "(no error message)"))
    if status == 429:
        return QueryFailure("rate_limited", _rate_limited(retry_after), True, retry_after)
    if status < 500 and (status in (400, 422) or error_type in _REJECTED_TYPES):
        return QueryFailure("rejected", error, False, status=status)
    label = f" ({error_type})" if error_type else ""
    if status >= 500:
        return QueryFailure("server_error", f"answered HTTP {status}{label}: {error}", True, retry_after)
    if 400 <= status < 500:
        return QueryFailure("http_error", f"answered HTTP {status}{label}: {error}", False)
    return QueryFailure("query_error", f"reported an error{label}: {error}", True)


def _rate_limited(retry_after: float | None) -> str:
    wait = f", Retry-After {retry_after:g}s" if retry_after is not None else ""
    return f"is rate limiting requests (HTTP 429{wait})"


def _parse_data(data: Any) -> QueryData:
    result_type = data["resultType"]
    result = data["result"]
    if result_type == "scalar":
        return QueryData("scalar", samples=(Sample({}, _number(result[1])),))
    if result_type == "string":
        return QueryData("string")
    if result_type == "vector":
        return QueryData("vector", samples=tuple(Sample(_labels(r), _number(r["value"][1])) for r in result))
    if result_type == "matrix":
        series = tuple(Series(_labels(r), _points(r["values"])) for r in result)
        return QueryData("matrix", series=series)
    raise ValueError(f"unknown resultType {result_type!r}")


def _labels(item: Any) -> dict[str, str]:
    metric = item.get("metric", {})
    if not isinstance(metric, dict):
        raise TypeError("metric is not an object")
    return {str(k): str(v) for k, v in metric.items()}


def _points(values: Any) -> tuple[tuple[float, float], ...]:
    """``[[t, "v"], ...]``: a timeline answer holds ~150 points per SLO, so the usual case (a string
    value, as the API sends) is converted directly and anything else goes through ``_number``."""
    return tuple((float(t), float(v) if type(v) is str else _number(v)) for t, v in values)


def _number(text: Any) -> float:
    """Prometheus sends sample values as strings: "1.5", "NaN", "+Inf"."""
    if not isinstance(text, str | int | float) or isinstance(text, bool):
        raise TypeError(f"sample value {text!r} is not a number")
    return float(text)


class UnusableResult(ValueError):
    """A successful answer that cannot be an SLI value (range vector, string, infinity)."""


def single_value(data: QueryData) -> float | None:
    """The SLI value of a query on its own: a scalar, or its series summed.

    None when there is no data (empty vector, NaN); UnusableResult when the
    result cannot be an SLI value.
    """
    if data.result_type in ("matrix", "string"):
        kind = "a range vector" if data.result_type == "matrix" else "a string"
        raise UnusableResult(f"the query returned {kind}; an SLI needs an instant vector or a scalar")
    if not data.samples:
        return None
    return sum_values([s.value for s in data.samples])


def sum_values(values: Sequence[float]) -> float | None:
    """Several series are summed, as PromQL's sum() would: any NaN makes no data; Inf is unusable."""
    if any(math.isnan(v) for v in values):
        return None
    if any(math.isinf(v) for v in values):
        sign = "+" if any(v > 0 for v in values if math.isinf(v)) else "-"
        raise UnusableResult(f"the query returned {sign}Inf")
    return math.fsum(values)
