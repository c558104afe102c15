"""The HTTP side of the Prometheus adapter: one pooled client, bounded, retried, shared.

Every request is an instant query (``POST /api/v1/query``) at a given time, or, for a replay of
history, a range query (``POST /api/v1/query_range``).
This module owns what it costs to ask: a semaphore caps requests in flight,
each attempt has a timeout, retryable failures are retried with back-off
within the caller's deadline, identical (query, time) requests are asked once,
and each HTTP request is counted by outcome. It never raises for a backend
problem: it returns QueryData or a QueryFailure whose detail is ready to be
shown to a person.
"""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from aegis.metrics._auth import CredentialsError, split_credentials
from aegis.metrics._response import QueryData, QueryFailure, QueryOutcome, classify
from aegis.metrics._retry import Backoff, parse_retry_after
from aegis.metrics._sharing import SharedResults
from aegis.metrics.prometheus_config import PrometheusConfig
from aegis.metrics.recorder import AdapterRecorder
from aegis.spec.model import DEFAULT_BACKEND

_QUERY_PATH = "/api/v1/query"
_RANGE_PATH = "/api/v1/query_range"
# (path, form fields but the timeout, which each attempt sets from what is left of the deadline)
_Request = tuple[str, dict[str, str]]


@dataclass
class RequestStats:
    """What asking has cost so far; read by tests and by people debugging cost."""

    requests_total: int = 0
    by_outcome: Counter[str] = field(default_factory=Counter)
    retries_total: int = 0
    # Queries answered without a request of their own: joined an in-flight one, or from the cache.
    shared_total: int = 0
    cached_total: int = 0
    in_flight: int = 0
    max_in_flight: int = 0


class PrometheusClient:
    def __init__(
        self,
        config: PrometheusConfig,
        *,
        recorder: AdapterRecorder,
        rng: random.Random,
        logger: logging.Logger,
        clock: Callable[[], float] = time.monotonic,
        name: str = DEFAULT_BACKEND,
    ) -> None:
        self._config = config
        self._recorder = recorder
        self._rng = rng
        self._logger = logger
        self._clock = clock
        self._backoff = Backoff(config.initial_backoff, config.max_backoff)
        self._slots = asyncio.Semaphore(config.max_concurrency)
        self._shared: SharedResults[tuple[str, float], QueryOutcome] = SharedResults(config.cache_ttl, clock)
        # Errors name the backend when there are several (the backends file), the URL always.
        named = f"backend {name!r}" if name != DEFAULT_BACKEND else "Prometheus"
        self._where = f"{named} at {config.redacted_url}"
        self.stats = RequestStats()
        base_url, auth = split_credentials(config)
        self._http = httpx.AsyncClient(
            base_url=base_url,
            headers=list(config.headers),
            auth=auth,
            verify=ssl.create_default_context(cafile=config.ca_file) if config.ca_file else True,
            limits=httpx.Limits(
                max_connections=config.max_concurrency, max_keepalive_connections=config.max_concurrency
            ),
            timeout=config.query_timeout,
        )

    async def query(self, expr: str, at: float, deadline: float) -> QueryOutcome:
        """``expr`` evaluated at unix time ``at``; tries until ``deadline`` (monotonic) at most."""
        request = (_QUERY_PATH, {"query": expr, "time": f"{at:.3f}"})
        outcome, how = await self._shared.get(
            (expr, at), lambda: self._with_retries(request, deadline), lambda r: isinstance(r, QueryData)
        )
        if how == "shared":
            self.stats.shared_total += 1
        elif how == "cached":
            self.stats.cached_total += 1
        return outcome

    async def query_range(
        self, expr: str, start: float, end: float, step: float, deadline: float
    ) -> QueryOutcome:
        """``expr`` at ``start``, ``start + step``, ... up to ``end`` (unix seconds): a matrix.

        Not shared or cached: only replays ask, each for its own span.
        """
        form = {"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"}
        return await self._with_retries((_RANGE_PATH, form), deadline)

    @property
    def closed(self) -> bool:
        return self._http.is_closed

    async def aclose(self) -> None:
        self._shared.cancel_all()
        await self._http.aclose()

    async def _with_retries(self, request: _Request, deadline: float) -> QueryOutcome:
        attempts = 0
        while True:
            attempts += 1
            outcome = await self._attempt(request, deadline)
            if isinstance(outcome, QueryData) or not outcome.retryable:
                break
            if attempts >= self._config.max_attempts:
                break
            delay = self._backoff.delay(attempts, self._rng)
            if outcome.retry_after is not None:
                delay = max(delay, outcome.retry_after)
            if self._clock() + delay >= deadline:
                break
            self.stats.retries_total += 1
            self._logger.debug("retrying in %.2fs after: %s", delay, outcome.detail)
            await asyncio.sleep(delay)
        return self._explained(outcome, attempts)

    def _explained(self, outcome: QueryOutcome, attempts: int) -> QueryOutcome:
        """The failure as a person reads it: who failed, how, and how hard we tried."""
        if isinstance(outcome, QueryData) or outcome.rejected or outcome.outcome in ("credentials", "budget"):
            return outcome
        tries = f" ({attempts} attempt{'s' if attempts != 1 else ''})"
        return QueryFailure(outcome.outcome, f"{self._where} {outcome.detail}{tries}", outcome.retryable)

    async def _attempt(self, request: _Request, deadline: float) -> QueryOutcome:
        remaining = deadline - self._clock()
        if remaining <= 0:
            return self._budget_spent()
        timeout = min(self._config.query_timeout, remaining)
        try:
            async with asyncio.timeout(remaining):
                await self._slots.acquire()
        except TimeoutError:
            return self._budget_spent()
        try:
            outcome = await self._send(request, timeout)
        finally:
            self._slots.release()
        label = outcome.outcome if isinstance(outcome, QueryFailure) else "success"
        if label != "credentials":  # nothing was sent
            self.stats.requests_total += 1
            self.stats.by_outcome[label] += 1
            self._recorder.backend_request(label)
        return outcome

    async def _send(self, request: _Request, seconds: float) -> QueryOutcome:
        path, fields = request
        # Milliseconds: the one duration spelling Prometheus and VictoriaMetrics both parse.
        form = {**fields, "timeout": f"{max(1, int(seconds * 1000))}ms"}
        self.stats.in_flight += 1
        self.stats.max_in_flight = max(self.stats.max_in_flight, self.stats.in_flight)
        try:
            async with asyncio.timeout(seconds):
                response = await self._http.post(path, data=form, timeout=seconds)
        except (TimeoutError, httpx.TimeoutException):
            return QueryFailure("timeout", f"did not answer within {seconds:.3g}s", True)
        except CredentialsError as err:
            return QueryFailure("credentials", str(err), False)
        except httpx.TransportError as err:
            return QueryFailure("connection_error", f"could not be reached: {_transport_detail(err)}", True)
        except httpx.HTTPError as err:  # e.g. a body that does not decode
            return QueryFailure("invalid_response", f"sent an unreadable response: {err}", True)
        finally:
            self.stats.in_flight -= 1
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return classify(response.status_code, response.content, retry_after)

    def _budget_spent(self) -> QueryFailure:
        budget = self._config.evaluation_budget
        return QueryFailure(
            "budget", f"the evaluation budget of {budget:g}s ran out before {self._where} answered", False
        )


def _transport_detail(err: httpx.TransportError) -> str:
    if isinstance(err, httpx.RemoteProtocolError):
        return f"the connection was closed without a complete answer ({err})"
    text = str(err) or type(err).__name__
    cause = err.__cause__
    if cause is not None and str(cause) and str(cause) not in text:
        text = f"{text}: {cause}"
    return text
