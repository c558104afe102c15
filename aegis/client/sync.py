"""The blocking gRPC client.

    from aegis.client import AegisClient, Decision

    with AegisClient("aegis.internal:50051", api_key=KEY, tls=True) as client:
        evaluation = client.decide("checkout-availability")
        if evaluation.decision is Decision.BLOCK:
            raise SystemExit("; ".join(evaluation.reasons))

Every call has a deadline (``timeout``: the client's default, or per call) that covers its
retries; UNAVAILABLE is retried with backoff (see ``aegis.client.retry``); every failure is an
``AegisError`` subclass carrying the gRPC status.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, TypeVar

import grpc

from aegis.client import _calls
from aegis.client.deployment import Deployment
from aegis.client.options import TLS, auth_metadata, open_channel
from aegis.client.results import Evaluation, ServiceState, SLOSummary
from aegis.client.retry import RetryPolicy
from aegis.v1 import audit_pb2, replay_pb2

__all__ = ["DEFAULT_TIMEOUT", "AegisClient"]

T = TypeVar("T")

# Seconds a call may take, retries included, unless the caller says otherwise.
DEFAULT_TIMEOUT = 10.0


class AegisClient:
    """A gRPC connection to one server. ``tls``: None (plaintext), True (system CAs) or a ``TLS``."""

    def __init__(
        self,
        target: str,
        *,
        api_key: str | None = None,
        tls: TLS | bool | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        metadata: Sequence[tuple[str, str]] = (),
        channel: grpc.Channel | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
    ) -> None:
        """``channel``: use this channel instead of opening one to ``target`` (it is not closed)."""
        self.target = target
        self._owns_channel = channel is None
        self._channel = channel if channel is not None else open_channel(target, _tls(tls))
        self._metadata = (*auth_metadata(api_key), *metadata)
        self._timeout = timeout
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._rng = rng
        self._stubs: dict[str, Any] = {}

    def decide(
        self,
        slo_id: str,
        *,
        fresh: bool = False,
        dry_run: bool = False,
        deployment: Deployment | None = None,
        timeout: float | None = None,
    ) -> Evaluation:
        """The decision for one SLO: the latest evaluation, or a new one with ``fresh``."""
        return self._run(_calls.decide(slo_id, fresh, dry_run, deployment), timeout)

    def service_state(self, service: str, environment: str, *, timeout: float | None = None) -> ServiceState:
        """The latest evaluation of every SLO of a service in an environment, and the worst decision."""
        return self._run(_calls.service_state(service, environment), timeout)

    def list_slos(self, *, timeout: float | None = None) -> tuple[SLOSummary, ...]:
        """Every SLO the server loaded, ordered by id."""
        return self._run(_calls.list_slos(), timeout)

    def replay(
        self, request: replay_pb2.ReplayRequest, *, timeout: float | None = None
    ) -> replay_pb2.ReplayResponse:
        """What the policy would have decided over past data (docs/replay.md); a long span takes time."""
        return self._run(_calls.replay(request), timeout)

    def list_audit(
        self, request: audit_pb2.ListAuditRecordsRequest, *, timeout: float | None = None
    ) -> audit_pb2.ListAuditRecordsResponse:
        """One page of the audit (filters, page token) as the contract's message."""
        return self._run(_calls.list_audit(request), timeout)

    def verify_audit_chain(self, *, timeout: float | None = None) -> audit_pb2.VerifyAuditChainResponse:
        """Ask the server to prove its audit's hash chain (an API key with the admin scope)."""
        return self._run(_calls.verify_audit_chain(), timeout)

    def close(self) -> None:
        if self._owns_channel:
            self._channel.close()

    def __enter__(self) -> AegisClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def _run(self, call: _calls.Call[T], timeout: float | None) -> T:
        stub = self._stub(call)
        attempts = self._retry.start(
            self._timeout if timeout is None else timeout, clock=self._clock, rng=self._rng
        )
        while True:
            try:
                response = stub(call.request, timeout=attempts.timeout(), metadata=self._metadata)
            except grpc.RpcError as err:
                error = _calls.error_from_rpc(err, attempts.made)
                delay = attempts.delay_before_retry(error)
                if delay is None:
                    raise error from err
                self._sleep(delay)
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


def _tls(tls: TLS | bool | None) -> TLS | None:
    if tls is True:
        return TLS()
    return tls or None
