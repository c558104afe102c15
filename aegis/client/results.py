"""What the gate answers, as frozen dataclasses: no protobuf in the caller's code.

Each type mirrors one message of the contract (proto/aegis/v1) with ``from_proto`` and
``to_proto``, as temporalio's ``RetryPolicy`` does, so a result read over gRPC or REST is the
same object and prints as the same contract JSON (``to_json``).

``Decision`` is the project's one decision type (``aegis.spec.model.Decision``): ordered by
severity, with ``Decision.worst(...)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from google.protobuf import json_format
from google.protobuf.timestamp_pb2 import Timestamp

from aegis.spec.model import Decision
from aegis.v1 import evaluation_pb2, gate_pb2, slo_pb2

__all__ = [
    "DataFlags",
    "Decision",
    "Evaluation",
    "RuleResult",
    "SLISummary",
    "SLOSummary",
    "ServiceState",
    "WindowBurnRate",
    "decision_from_proto",
]


def decision_from_proto(value: int) -> Decision:
    """The decision a message carries; a value this client does not know is treated as BLOCK.

    A newer server could add a decision; failing closed keeps an old client from opening a gate.
    """
    try:
        return Decision(value)
    except ValueError:
        return Decision.BLOCK


def _time(stamp: Timestamp, present: bool) -> datetime | None:
    return stamp.ToDatetime(tzinfo=UTC) if present else None


def _stamp(moment: datetime | None) -> Timestamp | None:
    if moment is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(moment.astimezone(UTC))
    return stamp


@dataclass(frozen=True)
class SLISummary:
    """The SLI over ``window`` (the compliance window, or the longest one with data)."""

    value: float
    error_rate: float
    budget_remaining: float
    window: str

    @classmethod
    def from_proto(cls, message: evaluation_pb2.SLISummary) -> SLISummary:
        return cls(message.value, message.error_rate, message.budget_remaining, message.window)

    def to_proto(self) -> evaluation_pb2.SLISummary:
        return evaluation_pb2.SLISummary(
            value=self.value,
            error_rate=self.error_rate,
            budget_remaining=self.budget_remaining,
            window=self.window,
        )


@dataclass(frozen=True)
class WindowBurnRate:
    burn_rate: float
    # The threshold of the first rule that uses this window.
    threshold: float


@dataclass(frozen=True)
class RuleResult:
    """One multi-window rule: it fires when BOTH windows burn at or above ``threshold``."""

    name: str
    short_window: str
    long_window: str
    short_burn_rate: float
    long_burn_rate: float
    threshold: float
    action: Decision
    fired: bool
    # False when a window lacked trustworthy data: such a rule cannot fire.
    evaluated: bool

    @classmethod
    def from_proto(cls, message: evaluation_pb2.RuleResult) -> RuleResult:
        return cls(
            name=message.name,
            short_window=message.short_window,
            long_window=message.long_window,
            short_burn_rate=message.short_burn_rate,
            long_burn_rate=message.long_burn_rate,
            threshold=message.threshold,
            action=decision_from_proto(message.action),
            fired=message.fired,
            evaluated=message.evaluated,
        )

    def to_proto(self) -> evaluation_pb2.RuleResult:
        return evaluation_pb2.RuleResult(
            name=self.name,
            short_window=self.short_window,
            long_window=self.long_window,
            short_burn_rate=self.short_burn_rate,
            long_burn_rate=self.long_burn_rate,
            threshold=self.threshold,
            action=self.action.value,  # type: ignore[arg-type]  # Decision's values are the proto numbers
            fired=self.fired,
            evaluated=self.evaluated,
        )


@dataclass(frozen=True)
class DataFlags:
    """Why the data behind a decision may not be trusted; any but ``clamped`` keeps it from ALLOW."""

    stale: bool = False
    no_traffic: bool = False
    missing_data: bool = False
    too_few_data_points: bool = False
    clamped: bool = False

    @property
    def trustworthy(self) -> bool:
        return not (self.stale or self.no_traffic or self.missing_data or self.too_few_data_points)


@dataclass(frozen=True)
class Evaluation:
    """One evaluation of one SLO: the decision and all of its evidence (one audit record)."""

    evaluation_id: str
    slo_id: str
    service: str
    environment: str
    decision: Decision
    timestamp: datetime | None
    # Seconds this answer stays current.
    ttl: int
    sli: SLISummary | None
    reasons: tuple[str, ...]
    burn_rates: Mapping[str, WindowBurnRate] = field(default_factory=lambda: MappingProxyType({}))
    flags: DataFlags = DataFlags()
    rules: tuple[RuleResult, ...] = ()
    data_timestamp: datetime | None = None

    @classmethod
    def from_proto(cls, message: evaluation_pb2.Evaluation) -> Evaluation:
        return cls(
            evaluation_id=message.evaluation_id,
            slo_id=message.slo_id,
            service=message.service,
            environment=message.environment,
            decision=decision_from_proto(message.decision),
            timestamp=_time(message.timestamp, message.HasField("timestamp")),
            ttl=message.ttl,
            # The server always sends `sli`; an empty window means no window had data to measure.
            sli=SLISummary.from_proto(message.sli) if message.sli.window else None,
            reasons=tuple(message.reasons),
            burn_rates=MappingProxyType(
                {
                    window: WindowBurnRate(burn.burn_rate, burn.threshold)
                    for window, burn in message.burn_rates.items()
                }
            ),
            flags=DataFlags(
                stale=message.is_stale,
                no_traffic=message.has_no_traffic,
                missing_data=message.has_missing_data,
                too_few_data_points=message.has_too_few_data_points,
                clamped=message.has_clamped_data,
            ),
            rules=tuple(RuleResult.from_proto(rule) for rule in message.rules),
            data_timestamp=_time(message.data_timestamp, message.HasField("data_timestamp")),
        )

    def to_proto(self) -> evaluation_pb2.Evaluation:
        message = evaluation_pb2.Evaluation(
            evaluation_id=self.evaluation_id,
            slo_id=self.slo_id,
            service=self.service,
            environment=self.environment,
            decision=self.decision.value,  # type: ignore[arg-type]
            timestamp=_stamp(self.timestamp),
            ttl=self.ttl,
            sli=self.sli.to_proto() if self.sli is not None else None,
            reasons=list(self.reasons),
            is_stale=self.flags.stale,
            has_no_traffic=self.flags.no_traffic,
            has_missing_data=self.flags.missing_data,
            has_too_few_data_points=self.flags.too_few_data_points,
            has_clamped_data=self.flags.clamped,
            rules=[rule.to_proto() for rule in self.rules],
            data_timestamp=_stamp(self.data_timestamp),
        )
        for window, burn in self.burn_rates.items():
            message.burn_rates[window].burn_rate = burn.burn_rate
            message.burn_rates[window].threshold = burn.threshold
        return message

    def to_json(self) -> dict[str, Any]:
        """The contract's JSON, as ``POST /v1/gate/decision`` prints it."""
        return _json(self.to_proto())


@dataclass(frozen=True)
class ServiceState:
    """Every SLO of one service in one environment, and the worst of their decisions."""

    service: str
    environment: str
    decision: Decision
    reasons: tuple[str, ...]
    evaluations: tuple[Evaluation, ...]
    timestamp: datetime | None = None

    @classmethod
    def from_proto(cls, message: gate_pb2.GetServiceStateResponse) -> ServiceState:
        return cls(
            service=message.service,
            environment=message.environment,
            decision=decision_from_proto(message.decision),
            reasons=tuple(message.reasons),
            evaluations=tuple(Evaluation.from_proto(e) for e in message.evaluations),
            timestamp=_time(message.timestamp, message.HasField("timestamp")),
        )


@dataclass(frozen=True)
class SLOSummary:
    """What a gate needs to know about a loaded SLO (the full definition stays on the server)."""

    id: str
    name: str
    service: str
    environment: str
    objective: float
    window: str
    # None until the first evaluation.
    last_decision: Decision | None

    @classmethod
    def from_proto(cls, message: slo_pb2.SLO) -> SLOSummary:
        last = message.status.last_decision
        return cls(
            id=message.id,
            name=message.name,
            service=message.service,
            environment=message.environment,
            objective=message.objective,
            window=message.window,
            last_decision=decision_from_proto(last) if last else None,
        )


def _json(message: Any) -> dict[str, Any]:
    document: dict[str, Any] = json_format.MessageToDict(message, always_print_fields_with_no_presence=True)
    return document
