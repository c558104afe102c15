"""Reading an SLO's good and total events from the series ``aegis rules`` records, when they exist.

With ``PrometheusConfig.recorded_series`` the adapter asks, for every window, the newest sample
of ``slo:sli_good:rate<w>`` and ``slo:sli_total:rate<w>`` for the SLO's id and query hash
(``aegis.metrics.recorded``) instead of its queries: one sample per series, however many raw
series and however long the window. A part with no recorded sample no younger than
``recorded_series_max_age`` (rules not loaded, stopped, or exported for other queries) is then
asked as its raw query, so a missing rule costs a second request, never a wrong number; and a
window with no raw data reads as no data, as without recorded series.

The freshness/gap timeline, a subquery of the newest raw sample time at every step of up to a
day (``_plan``), is the most expensive query of all on many series; it is read from
``slo:sli_newest_sample:timestamp`` (the same expression, recorded at every rule evaluation)
once that series covers the timeline's whole range, and raw before (a day after the rules are
loaded, a recorded timeline would otherwise show the time before as a gap). The newest raw
sample itself and the raw samples per window are still read from the raw series, so data age
and data points mean exactly what they mean without recorded series; gaps are seen at the rule
interval's resolution rather than the timeline step's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from aegis.metrics._plan import Part, Plan
from aegis.metrics._response import QueryData
from aegis.metrics.recorded import GOOD, NEWEST, TOTAL, matchers, recorded_selector, slo_labels
from aegis.spec.durations import Window
from aegis.spec.model import SLO

_PREFIXES = {"good": GOOD, "total": TOTAL}


def recorded_parts(slo: SLO, parts: Sequence[Part], max_age: int) -> list[Part]:
    """``parts`` with each good/total value read from its recorded series; evidence parts as they are."""
    swapped: list[Part] = []
    for part in parts:
        prefix = _PREFIXES.get(part.role)
        if prefix is None or part.window is None:
            swapped.append(part)
            continue
        query = f"last_over_time({recorded_selector(slo, prefix, part.window)}[{Window(max_age).text}])"
        swapped.append(replace(part, query=query, as_sample=f"sum({query})"))
    return swapped


def is_value(part: Part) -> bool:
    return part.role in _PREFIXES


def recorded_timeline(slo: SLO, plan: Plan) -> str | None:
    """The plan's timeline over the recorded newest-sample series; None when the plan has none."""
    if plan.timeline is None:
        return None
    span, step = Window(plan.timeline_range).text, Window(plan.timeline_step).text
    return f"(max({NEWEST}{matchers(slo_labels(slo))}))[{span}:{step}]"


def covers(data: QueryData, plan: Plan, at: float) -> bool:
    """Whether a recorded timeline reaches back to the start of the plan's range (one step of slack)."""
    times = [t for series in data.series for t, _ in series.points]
    return bool(times) and min(times) <= at - plan.timeline_range + 2 * plan.timeline_step
