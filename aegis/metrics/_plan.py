"""What to ask Prometheus for one SLO: every number the measurement needs, as few requests as possible.

An SLO with windows 5m, 30m, 1h, 6h and 30d needs ten SLI numbers (good and
total per window) plus evidence about the data behind them. Asked one by one
that is ten or more HTTP requests; here it is two:

* one instant query that ``or``-s every part together, each part reduced to a
  single label-less sample and tagged with an ``aegis_part`` label::

      label_replace(sum(<good query, 5m>), "aegis_part", "good:5m", "", "")
      or label_replace(sum(<total query, 5m>), "aegis_part", "total:5m", "", "") or ...

  The parts are the good/total values per window, the raw sample count per
  window (``max(count_over_time(<selector>[w]))``: samples of the best-covered
  series) and the newest raw sample (``max(timestamp(<selector>))``);
* one subquery, the *timeline*: the newest raw sample time at every step over
  the recent past, from which data age and collection gaps are read.

Both are plain instant queries at the evaluation time, so identical SLOs share
them. A part that cannot be combined (its query returns a range vector, say)
is asked on its own.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import promql_parser as pp

from aegis.metrics import _family, _promql
from aegis.spec.durations import Window
from aegis.spec.model import SLO, SLIType
from aegis.spec.promql_selector import selector_text

PART_LABEL = "aegis_part"
# Windows at least this long may be read less often when nothing gates on them.
LONG_WINDOW = 86400
_LOOKBACK = 300
_SELECTOR_LABEL = "aegis_selector"


@dataclass(frozen=True)
class Part:
    key: str
    # "good" / "total" (SLI values) or "points" / "newest" (evidence).
    role: str
    window: Window | None
    # The part on its own, exactly as the user wrote it for good/total.
    query: str
    # The part reduced to at most one label-less sample; None when it cannot be.
    as_sample: str | None

    @property
    def field(self) -> str:
        """How messages name the part: the SLI's good or total query (sli.good / sli.total in files)."""
        return {"good": "good query", "total": "total query"}.get(self.role, self.role)


@dataclass(frozen=True)
class Plan:
    parts: tuple[Part, ...]
    # Subquery over ``timeline_range`` seconds; None when the queries' selectors are unknown.
    timeline: str | None
    timeline_range: int
    # Windows that get gaps (no longer than the timeline).
    evidence_windows: tuple[Window, ...]
    # The subquery's step and inner expression (the newest raw sample time), for range queries.
    timeline_step: int = 0
    newest: str | None = None
    # SLOs whose queries differ only in one label's value are asked together (``_family``): this
    # SLO's label and value, and the combined query and timeline with ``_family.VALUES`` to fill in.
    family: _family.Family | None = None
    batched_values: str | None = None
    batched_timeline: str | None = None
    # Parts of long windows (a day or more) that decide nothing: no rule reads them and no budget
    # policy gates on them. The adapter may read them less often (``long_window_interval``); the
    # values query without them, alone and batched, for the evaluations in between.
    batched_parts: tuple[Part, ...] = ()
    long_keys: frozenset[str] = frozenset()
    short_values: str | None = None
    batched_short_values: str | None = None

    @property
    def short_parts(self) -> tuple[Part, ...]:
        return tuple(p for p in self.parts if p.key not in self.long_keys)


def build_plan(
    slo: SLO,
    windows: Sequence[Window],
    *,
    max_range: int,
    max_points: int,
    min_step: int,
) -> Plan:
    """Raises TemplateError when a query template cannot be filled in."""
    threshold = None
    if slo.sli.type is SLIType.LATENCY and slo.sli.threshold_ms is not None:
        threshold = _promql.format_threshold(slo.sli.threshold_ms)
    parts: list[Part] = []
    nodes: list[pp.VectorSelector] = []
    shapes: list[_family.Shape | None] = []
    for window in windows:
        for role, template in (("good", slo.sli.good_query), ("total", slo.sli.total_query)):
            try:
                query = _promql.render(template, window=window.text, threshold=threshold)
            except _promql.TemplateError as err:
                field = f"{role} query"
                raise _promql.TemplateError(f"{field}: {err}") from err
            expr = _promql.parse(query)
            if expr is not None:
                nodes.extend(_promql.selector_nodes(expr))
            shapes.append(_family.shape(expr))
            parts.append(Part(f"{role}:{window.text}", role, window, query, _as_sample(query, expr)))
    # Evidence is about the series behind the SLI: those of selectors another one covers add nothing.
    covering = _promql.covering(nodes)
    found = [selector_text(n) for n in covering]
    timeline_range = _timeline_range(slo, windows, max_range)
    evidence_windows = tuple(w for w in windows if w.seconds <= timeline_range)
    if not found:
        return Plan(tuple(parts), None, timeline_range, ())
    stamps = _union(f"timestamp({s})" for s in found)
    # Sample counts come from the values query (the samples rate() reads anyway), not from the
    # timeline, so every window up to the cap gets them, however short the timeline.
    for window in (w for w in windows if w.seconds <= max_range):
        counts = _union(f"count_over_time({s}[{window.text}])" for s in found)
        query = f"max({counts})"
        parts.append(Part(f"points:{window.text}", "points", window, query, query))
    newest = f"max({stamps})"
    parts.append(Part("newest", "newest", None, newest, newest))
    step = max(min_step, math.ceil(timeline_range / max_points))
    span = f"[{Window(timeline_range).text}:{Window(step).text}]"
    plan = Plan(tuple(parts), f"({newest}){span}", timeline_range, evidence_windows, step, newest)
    known = [s for s in shapes if s is not None]
    family = _family.family_of(known) if len(known) == len(shapes) else None
    if family is not None:
        selectors = [_family.batched_selector(n, family.label) for n in covering]
        plan = _batched(plan, known, selectors, family, span)
    return _with_long_windows(plan, slo)


def _with_long_windows(plan: Plan, slo: SLO) -> Plan:
    """Mark the parts of windows of a day or more that no rule or budget policy reads."""
    gating = set(slo.gating_windows)
    long_keys = frozenset(
        p.key
        for p in plan.parts
        if p.window is not None and p.window.seconds >= LONG_WINDOW and p.window not in gating
    )
    if not long_keys or len(long_keys) == len(plan.parts):
        return plan
    short = [p for p in plan.parts if p.key not in long_keys and p.as_sample is not None]
    batched = [p for p in plan.batched_parts if p.key not in long_keys]
    batched_short = combine(batched) if batched else None
    return dataclasses.replace(
        plan,
        long_keys=long_keys,
        short_values=combine(short) if short else None,
        batched_short_values=batched_short,
    )


def _batched(
    plan: Plan, shapes: Sequence[_family.Shape], selectors: Sequence[str], family: _family.Family, span: str
) -> Plan:
    """The plan's combined query and timeline for the whole family: the same parts, by label."""
    label = family.label
    values = iter(shapes)
    stamps = _union(f"timestamp({s})" for s in selectors)
    batched: list[Part] = []
    for part in plan.parts:
        if part.role in ("good", "total"):
            sample = _family.batched_value_query(next(values), label)
        elif part.role == "points" and part.window is not None:
            counts = _union(f"count_over_time({s}[{part.window.text}])" for s in selectors)
            sample = f"max by ({label}) ({counts})"
        else:
            sample = f"max by ({label}) ({stamps})"
        batched.append(dataclasses.replace(part, as_sample=sample))
    return dataclasses.replace(
        plan,
        family=family,
        batched_parts=tuple(batched),
        batched_values=combine(batched),
        batched_timeline=f"(max by ({label}) ({stamps})){span}",
    )


def combine(parts: Sequence[Part]) -> str:
    """One query answering every combinable part, each as a sample labelled with its key."""
    return " or ".join(
        f'label_replace({p.as_sample}, "{PART_LABEL}", "{p.key}", "", "")' for p in parts if p.as_sample
    )


def _as_sample(query: str, expr: pp.Expr | None) -> str | None:
    """``sum(q)`` for a vector (several series are summed), ``vector(q)`` for a scalar.

    A query the parser does not understand is assumed to be a vector; if that is
    wrong the server rejects the combined query and each part is asked alone.
    """
    kind = _promql.value_type(expr) if expr is not None else "vector"
    if kind == "scalar":
        return f"vector({query})"
    if kind == "vector":
        return f"sum({query})"
    return None


def _union(expressions: Iterable[str]) -> str:
    """``a or b`` with each side tagged, so equal label sets from different selectors all survive."""
    items = list(expressions)
    if len(items) == 1:
        return items[0]
    return " or ".join(
        f'label_replace({item}, "{_SELECTOR_LABEL}", "{i}", "", "")' for i, item in enumerate(items)
    )


def _timeline_range(slo: SLO, windows: Sequence[Window], max_range: int) -> int:
    """Long enough for what reads it, capped: the rules' short windows and twice the staleness limit.

    The engine looks for collection gaps in the short windows only (a long window is meant to
    smooth over them), and data age needs the timeline only beyond the 5m lookback, up to where
    the short windows are empty anyway. A timeline over a 6h long window would cost about 10x
    the Prometheus time of one over 35m and tell the engine nothing more.
    """
    short = {r.short_window for r in slo.burn_rate_rules}
    wanted = [w for w in windows if w in short] or [w for w in windows if w in slo.rule_windows]
    longest = max((w.seconds for w in wanted or windows), default=slo.staleness_limit.seconds)
    # Plus Prometheus' 5m lookback, so that a backend that looks back less (VictoriaMetrics
    # looks back about a scrape interval) still finds data that stopped that long ago.
    return min(max(longest, 2 * slo.staleness_limit.seconds) + _LOOKBACK, max_range)
