"""Many SLOs of one family (``_family``), one request: collect for a moment, ask once, split.

An SLO of a family asks for its own value of the family's query at an (aligned) evaluation time.
Asks for the same query and time that arrive within ``window`` seconds of each other are sent as
one request whose regex holds all their values, at most ``max_query_bytes`` long (more values wait
for the next request, which is sent at once); each SLO gets back the samples or series of its own
value, exactly what its own query would have returned. A request holds at most ``max_members``
values too, so that no single query costs the server more than a fraction of its timeout. An
answer is kept for ``ttl`` seconds per value, so an SLO evaluated again at the same time reads it
without a request, and a value already in flight joins that request. Failures are handed to
every SLO of the request and never kept.

The cost of a batch is at most ``window`` seconds of latency (50 ms by default) on each
evaluation, against one request instead of one per SLO.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from aegis.metrics._client import PrometheusClient
from aegis.metrics._family import VALUES, quote_meta, regex
from aegis.metrics._response import QueryData, QueryFailure, QueryOutcome, Sample, Series

# (template, label, evaluation time)
_Key = tuple[str, str, float]
_MAX_KEPT = 256


@dataclass
class _Request:
    values: dict[str, list[asyncio.Future[QueryOutcome]]] = field(default_factory=dict)
    deadline: float = float("inf")
    length: int = 0
    timer: asyncio.TimerHandle | None = None
    task: asyncio.Task[None] | None = None


class Batcher:
    def __init__(
        self,
        client: PrometheusClient,
        *,
        window: float,
        max_query_bytes: int,
        max_members: int,
        ttl: float,
        clock: Callable[[], float],
    ) -> None:
        self._client = client
        self._window = window
        self._max_bytes = max_query_bytes
        self._max_members = max_members
        self._ttl = ttl
        self._clock = clock
        self._pending: dict[_Key, _Request] = {}
        self._flying: dict[_Key, list[_Request]] = {}
        self._kept: dict[_Key, tuple[float, dict[str, QueryOutcome]]] = {}
        # Members answered without a request of their own (as RequestStats counts them).
        self.batched_total = 0

    async def read(self, template: str, label: str, value: str, at: float, deadline: float) -> QueryOutcome:
        """``value``'s share of ``template`` at ``at``: a QueryData of its samples, or the failure."""
        key = (template, label, at)
        kept = self._kept.get(key)
        if kept is not None and kept[0] > self._clock() and value in kept[1]:
            self._client.stats.cached_total += 1
            return kept[1][value]
        future: asyncio.Future[QueryOutcome] = asyncio.get_running_loop().create_future()
        flying = next((r for r in self._flying.get(key, ()) if value in r.values), None)
        if flying is not None:
            flying.values[value].append(future)
            self._client.stats.shared_total += 1
        else:
            self._join(key, value, future, deadline)
        # shield: a caller that gives up must not take the others' answer with it.
        return await asyncio.shield(future)

    def _join(self, key: _Key, value: str, future: asyncio.Future[QueryOutcome], deadline: float) -> None:
        request = self._pending.get(key)
        if request is not None and value in request.values:
            request.values[value].append(future)
            self._client.stats.shared_total += 1
            return
        cost = (len(json.dumps(quote_meta(value), ensure_ascii=False)) - 1) * key[0].count(VALUES)
        full = request is not None and len(request.values) >= self._max_members
        if request is not None and (full or request.length + cost > self._max_bytes):
            self._send(key, request)
            request = None
        if request is None:
            request = _Request(length=len(key[0].encode()))
            self._pending[key] = request
            loop = asyncio.get_running_loop()
            request.timer = loop.call_later(self._window, lambda: self._send(key, request))
        elif request.values:
            self.batched_total += 1
        request.values[value] = [future]
        request.length += cost
        request.deadline = min(request.deadline, deadline)

    def _send(self, key: _Key, request: _Request) -> None:
        if self._pending.get(key) is request:
            del self._pending[key]
        if request.timer is not None:
            request.timer.cancel()
        if request.task is not None:
            return
        self._flying.setdefault(key, []).append(request)
        request.task = asyncio.ensure_future(self._ask(key, request))

    async def _ask(self, key: _Key, request: _Request) -> None:
        template, label, at = key
        try:
            query = template.replace(VALUES, regex(sorted(request.values)))
            outcome = await self._client.query(query, at, request.deadline)
        except Exception as err:  # a bug must still answer every waiting SLO
            outcome = QueryFailure("invalid_response", f"batched query failed: {err}", False)
        finally:
            flying = self._flying.get(key, [])
            if request in flying:
                flying.remove(request)
            if not flying:
                self._flying.pop(key, None)
        shares = _split(outcome, label, request.values)
        if isinstance(outcome, QueryData) and self._ttl > 0:
            self._keep(key, shares)
        for value, futures in request.values.items():
            for future in futures:
                if not future.done():
                    future.set_result(shares[value])

    def _keep(self, key: _Key, shares: dict[str, QueryOutcome]) -> None:
        now = self._clock()
        for old in [k for k, (expires, _) in self._kept.items() if expires <= now]:
            del self._kept[old]
        while len(self._kept) >= _MAX_KEPT:
            del self._kept[next(iter(self._kept))]
        expires, known = self._kept.get(key, (now + self._ttl, {}))
        self._kept[key] = (expires, {**known, **shares})

    def cancel_all(self) -> None:
        for request in self._pending.values():
            if request.timer is not None:
                request.timer.cancel()
        for requests in (*self._flying.values(), self._pending.values()):
            for request in requests:
                if request.task is not None:
                    request.task.cancel()
                for futures in request.values.values():
                    for future in futures:
                        future.cancel()
        self._pending.clear()
        self._flying.clear()
        self._kept.clear()


def _split(outcome: QueryOutcome, label: str, values: Mapping[str, object]) -> dict[str, QueryOutcome]:
    """Each value's samples (or series): what its own query would have returned."""
    if not isinstance(outcome, QueryData):
        return dict.fromkeys(values, outcome)
    samples: dict[str, list[Sample]] = {v: [] for v in values}
    series: dict[str, list[Series]] = {v: [] for v in values}
    for sample in outcome.samples:
        found = samples.get(sample.labels.get(label, ""))
        if found is not None:
            found.append(sample)
    for item in outcome.series:
        group = series.get(item.labels.get(label, ""))
        if group is not None:
            group.append(item)
    return {
        v: QueryData(outcome.result_type, samples=tuple(samples[v]), series=tuple(series[v])) for v in values
    }
