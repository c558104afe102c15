"""SLOs and measurements for engine tests, built straight from the dataclasses.

``api_availability()`` is an SLO like the README's (objective 0.995, 30d,
stalenessLimit 10m) with the SRE Workbook's rules (fast-burn 5m/1h at 14.4,
slow-burn 30m/6h at 6), built without the loader, so these tests stand on the
engine alone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from aegis.metrics.base import Measurement, WindowSample
from aegis.spec.durations import Window
from aegis.spec.model import SLO, BurnRateRule, Decision, SLISpec, SLIType

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
TOTAL = 10_000.0
# 0.1% errors: a burn rate of 0.2 against 99.5%, comfortably healthy.
HEALTHY = 0.001


def w(text: str) -> Window:
    return Window.parse(text)


def rule(
    name: str, short: str, long: str, threshold: float, action: Decision = Decision.BLOCK
) -> BurnRateRule:
    return BurnRateRule(name, w(short), w(long), threshold, action)


FAST_BURN = rule("fast-burn", "5m", "1h", 14.4)
SLOW_BURN = rule("slow-burn", "30m", "6h", 6.0)


def api_availability(**changes: Any) -> SLO:
    slo = SLO(
        id="api-availability",
        service="api",
        environment="production",
        objective=0.995,
        window=w("30d"),
        sli=SLISpec(
            type=SLIType.AVAILABILITY,
            good_query='sum(rate(http_requests_total{service="api",code!~"5.."}[{{window}}]))',
            total_query='sum(rate(http_requests_total{service="api"}[{{window}}]))',
        ),
        burn_rate_rules=(FAST_BURN, SLOW_BURN),
        evaluation_interval=w("5m"),
        staleness_limit=w("10m"),
        min_data_points=1,
        name="API availability",
    )
    return dataclasses.replace(slo, **changes)


def sample(
    error_rate: float = HEALTHY,
    *,
    total: float = TOTAL,
    age: timedelta = timedelta(minutes=1),
    points: int | None = 60,
    gap: timedelta | None = None,
) -> WindowSample:
    """A window with ``error_rate`` of ``total`` requests failing, counted in whole requests."""
    bad = round(error_rate * total)
    return WindowSample(
        good=total - bad,
        total=total,
        data_timestamp=NOW - age,
        data_points=points,
        longest_gap=gap,
    )


def measure(
    error_rates: Mapping[str, float] | None = None,
    *,
    slo: SLO | None = None,
    samples: Mapping[str, WindowSample | None] | None = None,
    error: str | None = None,
    **sample_args: Any,
) -> Measurement:
    """Every window of ``slo`` healthy unless ``error_rates``/``samples`` say otherwise.

    A window given as None in ``samples`` is left out of the measurement.
    """
    slo = slo or api_availability()
    rates = error_rates or {}
    windows: dict[Window, WindowSample] = {
        window: sample(rates.get(window.text, HEALTHY), **sample_args) for window in slo.windows
    }
    for text, given in (samples or {}).items():
        if given is None:
            windows.pop(w(text), None)
        else:
            windows[w(text)] = given
    return Measurement(at=NOW, windows=windows, error=error)
