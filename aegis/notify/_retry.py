"""Trying a delivery again: which failures are worth it, and how long to pause.

A receiver that is down, overloaded (5xx, 429) or slow may answer next time; one that says
the request is wrong (other 4xx) will say so again, so it is not retried.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

_MAX_PAUSE = 60.0


@dataclass(frozen=True)
class Attempt:
    ok: bool
    retryable: bool
    # One line for the log: "HTTP 503", "timed out after 5s", "connection refused".
    detail: str
    retry_after: float | None = None


def judge(response: httpx.Response) -> Attempt:
    status = response.status_code
    if 200 <= status < 300:
        return Attempt(True, False, f"HTTP {status}")
    retryable = status >= 500 or status in (408, 429)
    return Attempt(False, retryable, f"HTTP {status}", _retry_after(response))


def failed(err: httpx.HTTPError, timeout: float) -> Attempt:
    if isinstance(err, httpx.TimeoutException):
        return Attempt(False, True, f"timed out after {timeout:g}s")
    reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return Attempt(False, True, reason)


def pause(backoff: float, attempt: int, retry_after: float | None = None) -> float:
    """Seconds before attempt ``attempt + 1``: ``backoff`` doubling, or the server's Retry-After."""
    delay = min(backoff * 2.0**attempt, _MAX_PAUSE)
    if retry_after is not None:
        delay = min(max(delay, retry_after), _MAX_PAUSE)
    return delay


def _retry_after(response: httpx.Response) -> float | None:
    try:
        seconds = float(str(response.headers.get("retry-after", "")))
    except ValueError:
        return None
    return max(seconds, 0.0)
