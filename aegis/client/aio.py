"""The asyncio gRPC client: ``AegisClient``'s twin on grpc.aio, with the same options and results.

async with AsyncAegisClient("aegis.internal:50051", api_key=KEY) as client:
    state = await client.service_state("checkout", "production")
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import Any, TypeVar

import grpc

from aegis.client import _calls
from aegis.client.deployment import Deployment
from aegis.client.options import TLS, auth_metadata, open_aio_channel
from aegis.client.results import Evaluation, ServiceState, SLOSummary
from aegis.client.retry import RetryPolicy
from aegis.client.sync import DEFAULT_TIMEOUT
from aegis.v1 import audit_pb2, replay_pb2

__all__ = ["AsyncAegisClient"]

T = TypeVar("T")


class AsyncAegisClient:
    """A grpc.aio connection to one server; create it inside the event loop that will use it."""

    def __init__(
        self,
        target: str,
        *,
        api_key: str | None = None,
        tls: TLS | bool | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        metadata: Sequence[tuple[str, str]] = (),
        channel: grpc.aio.Channel | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.target = target
        self._owns_channel = channel is None
        tls_config = TLS() if tls is True else tls or None
        self._channel = channel if channel is not None else open_aio_channel(target, tls_config)
        self._metadata = (*auth_metadata(api_key), *metadata)
        self._timeout = timeout
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._rng = rng
        self._stubs: dict[str, Any] = {}

    # ``timeout`` is the gRPC deadline, sent to the server and shared by the retries: not something
    # asyncio.timeout() around the call could do (pyproject.toml lets ASYNC109 pass here).
    async def decide(
        self,
        slo_id: str,
        *,
        fresh: bool = False,
        dry_run: bool = False,
        deployment: Deployment | None = None,
        timeout: float | None = None,
    ) -> Evaluation:
        return await self._run(_calls.decide(slo_id, fresh, dry_run, deployment), timeout)

    async def service_state(
        self, service: str, environment: str, *, timeout: float | None = None
    ) -> ServiceState:
        return await self._run(_calls.service_state(service, environment), timeout)

    async def list_slos(self, *, timeout: float | None = None) -> tuple[SLOSummary, ...]:
        return await self._run(_calls.list_slos(), timeout)

    async def replay(
        self, request: replay_pb2.ReplayRequest, *, timeout: float | None = None
    ) -> replay_pb2.ReplayResponse:
        """What the policy would have decided over past data (docs/replay.md); a long span takes time."""
        return await self._run(_calls.replay(request), timeout)

    async def list_audit(
        self, request: audit_pb2.ListAuditRecordsRequest, *, timeout: float | None = None
    ) -> audit_pb2.ListAuditRecordsResponse:
        """One page of the audit (filters, page token) as the contract's message."""
        return await self._run(_calls.list_audit(request), timeout)

    async def verify_audit_chain(self, *, timeout: float | None = None) -> audit_pb2.VerifyAuditChainResponse:
        """Ask the server to prove its audit's hash chain (an API key with the admin scope)."""
        return await self._run(_calls.verify_audit_chain(), timeout)

    async def close(self) -> None:
        if self._owns_channel:
            await self._channel.close()

    async def __aenter__(self) -> AsyncAegisClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.close()

    async def _run(self, call: _calls.Call[T], timeout: float | None) -> T:
        stub = self._stub(call)
        attempts = self._retry.start(
            self._timeout if timeout is None else timeout, clock=self._clock, rng=self._rng
        )
        while True:
            try:
                response = await stub(call.request, timeout=attempts.timeout(), metadata=self._metadata)
            except grpc.RpcError as err:  # grpc.aio.AioRpcError is one
                error = _calls.error_from_rpc(err, attempts.made)
                delay = attempts.delay_before_retry(error)
                if delay is None:
                    raise error from err
                await self._sleep(delay)
                continue
            return call.parse(response)

    def _stub(self, call: _calls.Call[Any]) -> Any:
        stub = self._stubs.get(call.path)
        if stub is None:
            stub = self._channel.unary_unary(
                call.path,
                request_serializer=type(call.request).SerializeToString,
                response_deserializer=call.response_class.FromString,
            )
            self._stubs[call.path] = stub
        return stub
