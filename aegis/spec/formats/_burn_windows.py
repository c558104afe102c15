"""The SRE Workbook's multi-window, multi-burn-rate rules, as Sloth generates them for any period.

Sloth and OpenSLO files say what an SLO is but not how fast a burn must be to matter; Sloth
answers with Google's four alerts (``internal/alert/windows/google-30d.yaml``): page when 2% of
the period's budget goes in an hour or 5% in six hours, ticket when 10% goes in a day or in three.
The burn-rate factor of each is ``budget share * period / long window``, so the 30-day period gets
Sloth's very numbers (14.4, 6, 3, 1) and any other period its own (Sloth's ``AlertWindows``).

Pages BLOCK a release and tickets WARN. A rule whose long window is longer than the period
cannot be measured inside it and is left out (a 1d period keeps the page rules and the 2h/1d one).
"""

from __future__ import annotations

from dataclasses import dataclass

from aegis.spec.durations import Window
from aegis.spec.model import BurnRateRule, Decision


@dataclass(frozen=True)
class BurnWindow:
    name: str
    severity: str
    budget_share: float
    short_window: Window
    long_window: Window


GOOGLE_WINDOWS = (
    BurnWindow("page-quick", "page", 0.02, Window.parse("5m"), Window.parse("1h")),
    BurnWindow("page-slow", "page", 0.05, Window.parse("30m"), Window.parse("6h")),
    BurnWindow("ticket-quick", "ticket", 0.10, Window.parse("2h"), Window.parse("1d")),
    BurnWindow("ticket-slow", "ticket", 0.10, Window.parse("6h"), Window.parse("3d")),
)
ACTIONS = {"page": Decision.BLOCK, "ticket": Decision.WARN}


def burn_rules(period: Window, severities: tuple[str, ...] = ("page", "ticket")) -> tuple[BurnRateRule, ...]:
    """Google's rules for ``period`` and the given severities, shortest first.

    >>> [(r.name, r.threshold) for r in burn_rules(Window.parse("30d"))]
    [('page-quick', 14.4), ('page-slow', 6.0), ('ticket-quick', 3.0), ('ticket-slow', 1.0)]
    """
    return tuple(
        BurnRateRule(
            name=window.name,
            short_window=window.short_window,
            long_window=window.long_window,
            threshold=round(window.budget_share * period.seconds / window.long_window.seconds, 6),
            action=ACTIONS[window.severity],
        )
        for window in GOOGLE_WINDOWS
        if window.severity in severities and window.long_window <= period
    )


# What Sloth and OpenSLO files cannot say, the same for both (docs/formats.md#what-the-gate-adds).
DEFAULT_ENVIRONMENT = "production"
DEFAULT_EVALUATION_INTERVAL = Window.parse("1m")
DEFAULT_STALENESS_LIMIT = Window.parse("10m")
# rate() needs two samples in a window: fewer is never a trustworthy number.
DEFAULT_MIN_DATA_POINTS = 2
