"""Reading an SLO's good and total events from the series ``aegis rules`` records, when they exist.

With ``PrometheusConfig.recorded_series`` the adapter asks, for every window, the newest sample
of ``slo:sli_good:rate<w>`` and ``slo:sli_total:rate<w>`` for the SLO's id and query hash
(``aegis.metrics.recorded``) instead of its queries: one sample per series, however many raw
series and however long the window. A part with no recorded sample no younger than
``recorded_series_max_age`` (rules not loaded, stopped, or exported for other queries) is then
asked as its raw query, so a missing rule costs a second request, never a wrong number; and a
window with no raw data reads as no data, as without recorded series.

Only the good/total values are swapped. The evidence the gate vouches for (the newest raw sample,
raw samples per window, gaps) is still read from the raw series (``_plan``), so staleness, data
points and gaps mean exactly what they mean without recorded series.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from aegis.metrics._plan import Part
from aegis.metrics.recorded import GOOD, TOTAL, recorded_selector
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
