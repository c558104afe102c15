"""The SLO model: frozen dataclasses that the loader builds and everything else reads.

Nothing here knows about YAML, protobuf or Prometheus; the loader turns files
into these objects and the API layer turns them into messages.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from aegis.spec.durations import Window

# The metric backend of an SLO whose file names none: the server's --adapter/--prometheus-* flags,
# unless the backends file defines one by this name (docs/operations.md#metric-backends).
DEFAULT_BACKEND = "default"


class Decision(enum.Enum):
    """The gate's answer, ordered by severity so that ``max()`` picks the worst."""

    ALLOW = 1
    WARN = 2
    BLOCK = 3

    @property
    def severity(self) -> int:
        return self.value

    @classmethod
    def worst(cls, decisions: list[Decision] | tuple[Decision, ...]) -> Decision:
        """The most severe decision; ALLOW for none."""
        return max(decisions, key=lambda d: d.severity, default=cls.ALLOW)


class SLIType(enum.Enum):
    """How good and total events are counted.

    ``latency_threshold`` (v0.1.0's name) loads as LATENCY.
    """

    AVAILABILITY = "availability"
    LATENCY = "latency"
    RATIO = "ratio"


@dataclass(frozen=True)
class SLISpec:
    type: SLIType
    good_query: str
    total_query: str
    # Latency SLIs only: a good event is one faster than this.
    threshold_ms: float | None = None
    # Which configured metric backend answers the queries (``spec.sli.backend``).
    backend: str = DEFAULT_BACKEND


@dataclass(frozen=True)
class BurnRateRule:
    """Fires when BOTH windows burn at or above ``threshold`` (SRE Workbook, ch. 5)."""

    name: str
    short_window: Window
    long_window: Window
    threshold: float
    action: Decision = Decision.BLOCK


@dataclass(frozen=True)
class BudgetPolicy:
    """Gate on the error budget itself (the SRE Workbook's error-budget policy).

    Fractions of the compliance window's budget left: ``block_below=0.1`` BLOCKs once less
    than 10% is left, ``warn_below=0.25`` WARNs below 25%. At least one is set; when both
    are, ``warn_below`` is the larger.
    """

    block_below: float | None = None
    warn_below: float | None = None


@dataclass(frozen=True)
class SLO:
    """One SLO as every format builds it: what the scheduler, engine and store read."""

    id: str
    service: str
    environment: str
    objective: float
    # The compliance window the error budget is defined over, e.g. 30d.
    window: Window
    sli: SLISpec
    burn_rate_rules: tuple[BurnRateRule, ...]
    evaluation_interval: Window
    staleness_limit: Window
    min_data_points: int = 1
    name: str = ""
    description: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    source_file: str = ""
    api_version: str = "aegis.slo/v1"
    # Who answers for the SLO, e.g. a team; "" when the file does not say.
    owner: str = ""
    # None: the decision rests on burn rates (and data quality) alone.
    budget_policy: BudgetPolicy | None = None
    # Evaluated and recorded as usual, but gate answers are ALLOW, flagged (aegis.engine.dry_run).
    dry_run: bool = False

    @property
    def error_budget(self) -> float:
        """The fraction of events allowed to be bad: 1 - objective."""
        return 1.0 - self.objective

    @property
    def rule_windows(self) -> tuple[Window, ...]:
        """Every window a rule needs, shortest first, without repeats."""
        seen = {w for r in self.burn_rate_rules for w in (r.short_window, r.long_window)}
        return tuple(sorted(seen))

    @property
    def gating_windows(self) -> tuple[Window, ...]:
        """Windows whose data the decision rests on: the rule windows, plus the compliance
        window when a budget policy reads it. Their data quality is what the gate vouches for."""
        if self.budget_policy is None:
            return self.rule_windows
        return tuple(sorted({*self.rule_windows, self.window}))

    @property
    def windows(self) -> tuple[Window, ...]:
        """Rule windows plus the compliance window: what an evaluation asks the adapter for."""
        return tuple(sorted({*self.rule_windows, self.window}))
