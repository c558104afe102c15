"""The series ``aegis rules`` records for an SLO, named the same way by the exporter and the adapter.

Sloth's names and labels, so that Sloth's Grafana dashboards and alerts read them unchanged::

    slo:sli_error:ratio_rate5m{sloth_id="api-availability", sloth_service="api-gateway",
                               sloth_slo="api-availability", sloth_window="5m"}

plus two series of AegisSLO's own per window, the good and total events the gate measures, and
one per SLO, the time of the newest raw sample its queries read::

    slo:sli_good:rate5m{...}    slo:sli_total:rate5m{...}    slo:sli_newest_sample:timestamp{...}

The error ratio alone cannot tell no traffic (0/0) from no data, which the gate must; good and
total keep the difference. Every series carries ``aegis_query_hash``, a digest of the SLI's
queries: when an SLO's queries change, the rules exported before no longer match it and the
adapter reads the raw queries until the new rules are loaded, instead of a number that means
something else.
"""

from __future__ import annotations

import hashlib
import json

from aegis.spec.durations import Window
from aegis.spec.model import SLO

ERROR_RATIO = "slo:sli_error:ratio_rate"
GOOD = "slo:sli_good:rate"
TOTAL = "slo:sli_total:rate"
# The newest raw sample behind the SLI (Unix seconds), one series per SLO: what the adapter's
# freshness/gap timeline reads, once a timeline's worth of it is recorded.
NEWEST = "slo:sli_newest_sample:timestamp"
HASH_LABEL = "aegis_query_hash"
WINDOW_LABEL = "sloth_window"


def series_name(prefix: str, window: Window) -> str:
    """``slo:sli_good:rate`` and 5m -> ``slo:sli_good:rate5m`` (Sloth writes 1d, 3d, 30d)."""
    return f"{prefix}{window.text}"


def query_hash(slo: SLO) -> str:
    """12 hex digits that change whenever what the SLI measures changes."""
    what = [slo.sli.type.value, slo.sli.good_query, slo.sli.total_query, slo.sli.threshold_ms]
    return hashlib.sha256(json.dumps(what).encode("utf-8")).hexdigest()[:12]


def slo_labels(slo: SLO) -> dict[str, str]:
    """The labels that identify an SLO's series: Sloth's three and the query hash."""
    return {
        "sloth_id": slo.id,
        "sloth_service": slo.service,
        "sloth_slo": slo.name or slo.id,
        HASH_LABEL: query_hash(slo),
    }


def matchers(labels: dict[str, str]) -> str:
    """``{a="x", b="y"}`` with PromQL string escaping (JSON's is a subset of it)."""
    return "{" + ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in labels.items()) + "}"


def recorded_selector(slo: SLO, prefix: str, window: Window) -> str:
    """The selector of one recorded series of ``slo``: what the adapter reads instead of the query."""
    return series_name(prefix, window) + matchers(slo_labels(slo))
