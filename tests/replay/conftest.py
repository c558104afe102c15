"""A real Prometheus holding a history with two known burns, for replays over real data.

10 requests a second at 0.1% errors for 7 hours, except 100% errors for 30 minutes from 3 hours
ago (a burn fast-burn catches) and 20% errors for 3 minutes from 90 minutes ago (a burn the 5m
window sees but the 1h window does not: nothing fires). Backfilled with promtool, as every
Prometheus test here is (tests/_prometheus.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests._prometheus import (
    FUTURE,
    HISTORY,
    History,
    Profile,
    Segment,
    ServerProcess,
    backfill,
    running_prometheus,
)

BURN_AGO, BURN_SECONDS = 3 * 3600, 30 * 60
BLIP_AGO, BLIP_SECONDS = 90 * 60, 3 * 60

PROFILE = Profile(
    "replay",
    (
        Segment(HISTORY + 60, BURN_AGO, 10, 0.001),
        Segment(BURN_AGO, BURN_AGO - BURN_SECONDS, 10, 1.0),
        Segment(BURN_AGO - BURN_SECONDS, BLIP_AGO, 10, 0.001),
        Segment(BLIP_AGO, BLIP_AGO - BLIP_SECONDS, 10, 0.2),
        Segment(BLIP_AGO - BLIP_SECONDS, -FUTURE - 60, 10, 0.001),
    ),
)

# The SRE Workbook's fast-burn rule on 99.9%, reading the profile above.
SLO_FILE = """\
apiVersion: aegis.slo/v1
kind: SLO
metadata:
  id: replay-checkout
  service: replay
spec:
  environment: production
  objective: 0.999
  complianceWindow: 30d
  evaluationInterval: 1m
  sli:
    type: availability
    good:
      prometheusQuery: sum(rate(http_requests_total{service="replay",code!~"5.."}[{{window}}]))
    total:
      prometheusQuery: sum(rate(http_requests_total{service="replay"}[{{window}}]))
  burnPolicy:
    rules:
      - name: fast-burn
        shortWindow: 5m
        longWindow: 1h
        threshold: 14.4
  gating:
    minDataPoints: 1
    stalenessLimit: 10m
"""


class Timeline:
    """When the history's burns happened, as datetimes."""

    def __init__(self, history: History) -> None:
        self.now = datetime.fromtimestamp(history.now, UTC)
        self.burn_start = self.now - timedelta(seconds=BURN_AGO)
        self.burn_end = self.burn_start + timedelta(seconds=BURN_SECONDS)
        self.blip_start = self.now - timedelta(seconds=BLIP_AGO)


@pytest.fixture(scope="session")
def burn_history() -> History:
    return History.build([PROFILE])


@pytest.fixture(scope="session")
def burn_times(burn_history: History) -> Timeline:
    return Timeline(burn_history)


@pytest.fixture(scope="session")
def burn_prometheus(
    burn_history: History, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    blocks = backfill(burn_history, tmp_path_factory.mktemp("replay-blocks") / "blocks")
    with running_prometheus(blocks, tmp_path_factory.mktemp("replay-prometheus")) as server:
        yield server


@pytest.fixture(scope="session")
def replay_slo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("replay-slos")
    (directory / "replay-checkout.yaml").write_text(SLO_FILE, encoding="utf-8")
    return directory
