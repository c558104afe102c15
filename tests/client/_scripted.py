"""A grpc_testing channel on which a test plays the server, and a clock the client's waits advance.

The client blocks while it waits for an answer, so each call runs in a thread and the test takes
the RPC from the channel (``take``), looks at its request and metadata, and answers it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import grpc
import grpc_testing
from google.protobuf.message import Message

from aegis.client import AegisClient, RetryPolicy
from aegis.v1 import evaluation_pb2, gate_pb2, slo_pb2

T = TypeVar("T")

GATE = gate_pb2.DESCRIPTOR.services_by_name["GateService"]
SLO = slo_pb2.DESCRIPTOR.services_by_name["SLOService"]
DECIDE = GATE.methods_by_name["Decide"]
SERVICE_STATE = GATE.methods_by_name["GetServiceState"]
LIST_SLOS = SLO.methods_by_name["ListSLOs"]


@dataclass
class FakeTime:
    """A monotonic clock that only the client's backoff sleeps move."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class RecordingChannel(grpc.Channel):
    """grpc_testing's channel, noting the timeout of every call (grpc_testing drops it)."""

    def __init__(self, inner: grpc_testing.Channel) -> None:
        self.inner = inner
        self.timeouts: list[float | None] = []
        self._lock = threading.Lock()

    def unary_unary(self, method: str, *args: Any, **kwargs: Any) -> Any:
        call = self.inner.unary_unary(method, *args, **kwargs)

        def invoke(request: Message, timeout: float | None = None, metadata: Any = None) -> Any:
            with self._lock:
                self.timeouts.append(timeout)
            return call(request, timeout=timeout, metadata=metadata)

        return invoke

    def take(self, method: Any) -> tuple[dict[str, str], Message, Any]:
        """The next call to ``method``: its metadata (as a dict), request, and the rpc to answer."""
        metadata, request, rpc = self.inner.take_unary_unary(method)
        return dict(metadata), request, rpc

    # The rest of grpc.Channel is not used by the client.
    def subscribe(self, callback: Any, try_to_connect: bool = False) -> None:
        raise NotImplementedError

    def unsubscribe(self, callback: Any) -> None:
        raise NotImplementedError

    def unary_stream(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def stream_unary(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def stream_stream(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def close(self) -> None:
        pass


@dataclass
class Scripted:
    channel: RecordingChannel
    time: FakeTime
    pool: ThreadPoolExecutor

    def client(self, **options: Any) -> AegisClient:
        options.setdefault("retry", RetryPolicy(max_attempts=4, initial_backoff=0.1, max_backoff=1.0))
        return AegisClient(
            "scripted",
            channel=self.channel,
            sleep=self.time.sleep,
            clock=self.time.clock,
            rng=lambda: 0.5,  # half of each backoff cap: deterministic, still exercises jitter's scaling
            **options,
        )

    def start(self, call: Callable[[], T]) -> Future[T]:
        return self.pool.submit(call)


def scripted() -> Iterator[Scripted]:
    services = [GATE, SLO]
    channel = RecordingChannel(grpc_testing.channel(services, grpc_testing.strict_real_time()))
    with ThreadPoolExecutor(max_workers=1) as pool:
        yield Scripted(channel, FakeTime(), pool)


def answer(rpc: Any, response: Message) -> None:
    rpc.terminate(response, (), grpc.StatusCode.OK, "")


def fail(rpc: Any, code: grpc.StatusCode, details: str) -> None:
    rpc.terminate(None, (), code, details)


def evaluation_pb(
    slo_id: str = "checkout", decision: int = evaluation_pb2.BLOCK
) -> evaluation_pb2.Evaluation:
    message = evaluation_pb2.Evaluation(
        evaluation_id="e-1",
        slo_id=slo_id,
        service="checkout",
        environment="production",
        decision=decision,  # type: ignore[arg-type]
        ttl=60,
        sli=evaluation_pb2.SLISummary(value=0.99, error_rate=0.01, budget_remaining=0.25, window="30d"),
        reasons=["rule fast-burn fired (BLOCK)"],
        is_stale=True,
        rules=[
            evaluation_pb2.RuleResult(
                name="fast-burn",
                short_window="5m",
                long_window="1h",
                short_burn_rate=20.0,
                long_burn_rate=16.0,
                threshold=14.4,
                action=evaluation_pb2.BLOCK,
                fired=True,
                evaluated=True,
            )
        ],
        # A budget policy with only blockBelow: an unset warnBelow must stay unset both ways.
        budget_policy=evaluation_pb2.BudgetPolicyResult(
            block_below=0.1, budget_remaining=0.05, action=evaluation_pb2.BLOCK
        ),
        dry_run=True,
        would_be_decision=evaluation_pb2.BLOCK,
    )
    message.timestamp.FromSeconds(1_800_000_000)
    message.burn_rates["5m"].burn_rate = 20.0
    message.burn_rates["5m"].threshold = 14.4
    return message
