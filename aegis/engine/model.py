"""What one evaluation produces: the decision and all of its evidence."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from aegis.spec.durations import Window
from aegis.spec.model import Decision


@dataclass(frozen=True)
class SLIResult:
    """The SLI over ``window`` (the compliance window when it has data)."""

    value: float
    error_rate: float
    budget_remaining: float
    window: Window


@dataclass(frozen=True)
class WindowBurn:
    burn_rate: float
    # Threshold of the first rule (in spec order) that uses this window.
    threshold: float


@dataclass(frozen=True)
class RuleOutcome:
    name: str
    short_window: Window
    long_window: Window
    short_burn_rate: float
    long_burn_rate: float
    threshold: float
    action: Decision
    fired: bool
    # False when either window lacked trustworthy data; such a rule cannot fire.
    evaluated: bool


@dataclass(frozen=True)
class BudgetOutcome:
    """The error-budget policy (``spec.budgetPolicy``) against the budget left.

    ``budget_remaining`` is the compliance window's, never a shorter window's stand-in:
    None when that window had no usable counts, and then the policy was not evaluated.
    """

    block_below: float | None
    warn_below: float | None
    budget_remaining: float | None
    # The policy's verdict when evaluated: BLOCK or WARN below a threshold, ALLOW above both.
    action: Decision | None

    @property
    def evaluated(self) -> bool:
        return self.budget_remaining is not None

    @property
    def fired(self) -> bool:
        return self.action is not None and self.action is not Decision.ALLOW


@dataclass(frozen=True)
class DeploymentContext:
    """Who asks the gate and for what; free text from the pipeline, never part of the decision."""

    deployment_id: str = ""
    commit: str = ""
    pipeline_url: str = ""
    caller: str = ""

    def __bool__(self) -> bool:
        return any((self.deployment_id, self.commit, self.pipeline_url, self.caller))


@dataclass(frozen=True)
class GateRequest:
    """A gate request (Decide, FlaggerWebhook) as the audit records it, beside its evaluation."""

    # The audit record's own id (the evaluation keeps its evaluation_id).
    record_id: str
    requested_at: datetime
    deployment: DeploymentContext = DeploymentContext()
    # The API key's name, never its secret; "" when the server has no keys.
    api_key_name: str = ""


@dataclass(frozen=True)
class ChainLink:
    """An audit record's place in the audit's hash chain (aegis.store.chain)."""

    sequence: int
    previous_hash: str
    record_hash: str


@dataclass(frozen=True)
class Evaluation:
    """One evaluation of one SLO. Also exactly one audit record."""

    evaluation_id: str
    slo_id: str
    service: str
    environment: str
    decision: Decision
    timestamp: datetime
    ttl_seconds: int
    sli: SLIResult | None
    reasons: tuple[str, ...]
    # Keyed by the window's canonical text ("5m"), in window order.
    burn_rates: Mapping[str, WindowBurn] = field(default_factory=dict)
    rules: tuple[RuleOutcome, ...] = ()
    is_stale: bool = False
    has_no_traffic: bool = False
    has_missing_data: bool = False
    has_too_few_data_points: bool = False
    has_clamped_data: bool = False
    data_timestamp: datetime | None = None
    # None when the SLO has no budget policy.
    budget: BudgetOutcome | None = None
    # Dry run (aegis.engine.dry_run): nobody is blocked. A recorded evaluation keeps the policy's
    # own decision in ``decision``; a gate answer says ALLOW there. Both carry the policy's
    # decision in ``would_be_decision`` (None outside a dry run), so neither reads as the other.
    dry_run: bool = False
    would_be_decision: Decision | None = None
    # Set on the audit record of a gate request, and on the answer to one: who asked, for what.
    gate_request: GateRequest | None = None
    # Set on records read back from the audit: their link in the hash chain. Where a record sits
    # in the audit, not what it says: left out of equality and repr, so a record read back
    # equals the evaluation that was written.
    chain: ChainLink | None = field(default=None, compare=False, repr=False)

    @property
    def record_id(self) -> str:
        """The audit record's id: the gate request's for a gate-request record, else evaluation_id."""
        return self.gate_request.record_id if self.gate_request is not None else self.evaluation_id
