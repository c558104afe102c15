"""The traffic profiles the Prometheus adapter is proven on, and SLOs that read them.

Every SLO has the README's objective (99.5%) with the SRE Workbook's rules
(fast-burn 5m/1h at 14.4, slow-burn 30m/6h at 6), 30d and stalenessLimit 10m,
pointed at one service, so a scenario's expected decision follows from its
profile alone.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from aegis.metrics.prometheus_config import PrometheusConfig
from aegis.spec.durations import Window
from aegis.spec.model import SLO, BurnRateRule, SLISpec, SLIType
from tests._prometheus import FUTURE, HISTORY, Profile, Segment

ALWAYS = (HISTORY + 60, -FUTURE - 60)
OBJECTIVE = 0.995


def _steady(rate: float, error_ratio: float) -> tuple[Segment, ...]:
    return (Segment(ALWAYS[0], ALWAYS[1], rate, error_ratio),)


def _then(rate: float, before: float, after: float, since: float) -> tuple[Segment, ...]:
    """``before`` error ratio until ``since`` seconds ago, ``after`` from then on."""
    return (Segment(ALWAYS[0], since, rate, before), Segment(since, ALWAYS[1], rate, after))


PROFILES = (
    Profile("healthy", _steady(100, 0.001)),
    # 10% errors for the last 90 minutes: 20x over 5m and 1h.
    Profile("fast-burn", _then(100, 0.001, 0.10, since=5400)),
    # 4% errors all along: 8x everywhere, slow-burn only.
    Profile("slow-burn", _steady(50, 0.04)),
    # 20% errors for the last 8 minutes: the short windows burn, the long ones do not.
    Profile("spike", _then(100, 0.0, 0.20, since=480)),
    # The README's numbers (objective 99.5%): 7% errors over 5m -> 14.0x.
    Profile("api", _then(100, 0.0, 0.07, since=1800)),
    Profile("stale", _steady(100, 0.001), stopped_ago=1800),
    Profile("idle", _steady(0, 0.0)),
    # No samples from 25 to 13 minutes ago: a 12 minute hole inside the 30m window.
    Profile("gappy", _steady(100, 0.001), gap=(1500, 780)),
    # Scraped every 2 minutes: 2-3 samples per 5m.
    Profile("sparse", _steady(100, 0.001), interval=120),
    Profile("latency", _steady(100, 0.0), latency_slow_ratio=0.02),
    # fixtures/slo/valid/web-latency.yaml: 99% under 300 ms, 2% slower -> 2x.
    Profile("web", _steady(100, 0.0), latency_slow_ratio=0.02),
)


def w(text: str) -> Window:
    return Window.parse(text)


RULES = (
    BurnRateRule("fast-burn", w("5m"), w("1h"), 14.4),
    BurnRateRule("slow-burn", w("30m"), w("6h"), 6.0),
)


def availability_slo(service: str, **changes: Any) -> SLO:
    slo = SLO(
        id=f"{service}-availability",
        service=service,
        environment="test",
        objective=OBJECTIVE,
        window=w("30d"),
        sli=SLISpec(
            SLIType.AVAILABILITY,
            good_query=f'sum(rate(http_requests_total{{service="{service}",code!~"5.."}}[{{{{window}}}}]))',
            total_query=f'sum(rate(http_requests_total{{service="{service}"}}[{{{{window}}}}]))',
        ),
        burn_rate_rules=RULES,
        evaluation_interval=w("5m"),
        staleness_limit=w("10m"),
        min_data_points=1,
    )
    return dataclasses.replace(slo, **changes)


def latency_slo() -> SLO:
    """99% of requests under 300 ms, with Sloth's template spelling."""
    return availability_slo(
        "latency",
        id="latency-p300",
        objective=0.99,
        sli=SLISpec(
            SLIType.LATENCY,
            good_query=(
                'sum(rate(http_request_duration_seconds_bucket{service="latency",le="{{.threshold}}"}'
                "[{{.window}}]))"
            ),
            total_query='sum(rate(http_request_duration_seconds_count{service="latency"}[{{ window }}]))',
            threshold_ms=300,
        ),
    )


def fast_config(url: str, **changes: Any) -> PrometheusConfig:
    """Short timeouts and back-off so fault tests take fractions of a second."""
    config = PrometheusConfig(
        url,
        query_timeout=2.0,
        evaluation_budget=5.0,
        max_attempts=3,
        initial_backoff=0.01,
        max_backoff=0.05,
    )
    return dataclasses.replace(config, **changes)
