"""Replays of a synthetic scenario, where every expected number is exact arithmetic on the scenario.

The SRE Workbook's fast-burn rule (5m/1h at 14.4x) on a 99.9% objective, 10 requests a second
with 0.1% errors, then 30 minutes of 100% errors from 07:00 (tests/metrics/test_scenario.py
checks the same numbers one evaluation at a time).
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aegis.metrics.scenario import parse_scenario
from aegis.metrics.synthetic import SyntheticAdapter
from aegis.replay.history import ReplayTimeout
from aegis.replay.runner import run_replay
from aegis.replay.span import ReplaySpan
from aegis.replay.timeline import Replay
from aegis.spec.durations import Window
from aegis.spec.loader import load_directory
from aegis.spec.model import SLO, Decision
from tests.cli._aegis import aegis
from tests.spec.samples import VALID_DIR

T0 = datetime(2026, 1, 1, tzinfo=UTC)
BURN = T0 + timedelta(hours=7)
SCENARIO = {
    "start": "2026-01-01T00:00:00Z",
    "segments": [
        {"for": "7h", "requestsPerSecond": 10, "errorRatio": 0.001},
        {"for": "30m", "requestsPerSecond": 10, "errorRatio": 1},
        {"requestsPerSecond": 10, "errorRatio": 0.001},
    ],
}


def after(**delta: float) -> datetime:
    return BURN + timedelta(**delta)


@pytest.fixture(scope="module")
def slo() -> SLO:
    [base] = [s for s in load_directory(VALID_DIR).slos if s.id == "api-availability"]
    rule = replace(base.burn_rate_rules[0], threshold=14.4)
    return replace(base, objective=0.999, burn_rate_rules=(rule,), min_data_points=1)


async def replay(slo: SLO, *overrides: str, step: int = 5) -> Replay:
    adapter = SyntheticAdapter({slo.id: parse_scenario(SCENARIO, "burn.json", loaded_at=T0)})
    span = ReplaySpan.checked(after(minutes=-5), after(minutes=40), Window(step), now=datetime.now(UTC))
    return await run_replay(slo, adapter, span, overrides=overrides, deadline=time.monotonic() + 60)


async def test_replay_shows_each_transition_with_its_reason(slo: SLO) -> None:
    result = await replay(slo)
    assert [(t.at, t.previous, t.decision) for t in result.transitions] == [
        (after(minutes=-5), None, Decision.ALLOW),
        # 14.4x of a 0.1% budget over the hour needs 48.3 s of 100% errors.
        (after(seconds=50), Decision.ALLOW, Decision.BLOCK),
        # The 5m window falls below 1.44% errors 296.1 s after the errors stop.
        (after(minutes=35), Decision.BLOCK, Decision.ALLOW),
    ]
    assert result.transitions[1].reasons[0].startswith("rule fast-burn fired (BLOCK): burn rate ")
    assert result.transitions[2].reasons == ("all burn rate checks passed",)
    assert len(result.steps) == 45 * 60 // 5 + 1


async def test_replay_counts_minutes_in_each_decision(slo: SLO) -> None:
    result = await replay(slo)
    blocked = 35 - 50 / 60
    assert result.minutes[Decision.BLOCK] == pytest.approx(blocked)
    assert result.minutes[Decision.ALLOW] == pytest.approx(45 - blocked)
    assert result.minutes[Decision.WARN] == 0


async def test_replay_times_the_detection_and_the_reset_of_a_burn(slo: SLO) -> None:
    [burn] = (await replay(slo)).burns
    # The 1m error-ratio window burns at 14.4x once it holds 0.86 s of errors, and until it does not.
    assert (burn.start, burn.end) == (after(seconds=5), after(minutes=31))
    assert (burn.detected, burn.reset) == (after(seconds=50), after(minutes=35))
    assert (burn.detection_seconds, burn.reset_seconds) == (45, 240)
    assert burn.peak_burn_rate == pytest.approx(1000)
    assert burn.worst_decision is Decision.BLOCK


async def test_replay_tries_another_threshold_on_the_same_history(slo: SLO) -> None:
    result = await replay(slo, "rules[0].threshold=100")
    assert result.overrides == ("rules[0].threshold=100",)
    assert result.slo.burn_rate_rules[0].threshold == 100
    # 10% errors over the hour needs 356.8 s; the 5m window drops below 10% 270.3 s after the end.
    assert [t.at for t in result.transitions[1:]] == [after(minutes=6), after(minutes=34, seconds=35)]
    [burn] = result.burns
    assert (burn.start, burn.detected, burn.end, burn.reset) == (
        after(seconds=10),
        after(minutes=6),
        after(minutes=30, seconds=55),
        after(minutes=34, seconds=35),
    )
    assert (burn.detection_seconds, burn.reset_seconds) == (350, 220)


async def test_replay_of_a_burn_no_rule_catches(slo: SLO) -> None:
    # At 2000x nothing fires (100% errors burn at 1000x), and no step burns that fast either.
    result = await replay(slo, "rules[0].threshold=2000")
    assert [t.decision for t in result.transitions] == [Decision.ALLOW]
    assert result.burns == ()
    # At 600x the error ratio burns (1000x) but the hour never holds 60% errors (at most 50.05%).
    undetected = await replay(slo, "rules[0].threshold=600")
    [burn] = undetected.burns
    assert burn.detected is None and burn.reset is None and burn.detection_seconds is None
    assert burn.worst_decision is Decision.ALLOW


async def test_replay_runs_out_of_time_with_a_clear_error(slo: SLO) -> None:
    adapter = SyntheticAdapter({slo.id: parse_scenario(SCENARIO, "burn.json", loaded_at=T0)})
    span = ReplaySpan.checked(after(minutes=-5), after(minutes=40), Window(5), now=datetime.now(UTC))
    with pytest.raises(ReplayTimeout, match="steps of history in the time allowed"):
        await run_replay(slo, adapter, span, deadline=time.monotonic() - 1)


async def test_cli_replays_a_scenario_file_here(tmp_path: Path) -> None:
    """``aegis replay --dir --synthetic-fixtures``: the same replay, as JSON and as a picture."""
    (tmp_path / "slos").mkdir()
    (tmp_path / "metrics").mkdir()
    slo_file = (VALID_DIR / "api-availability.yaml").read_text().replace("0.995", "0.999")
    (tmp_path / "slos" / "api.yaml").write_text(slo_file)
    (tmp_path / "metrics" / "api-availability.json").write_text(json.dumps({"scenario": SCENARIO}))
    picture = tmp_path / "replay.svg"
    ran = await aegis(
        "replay", "--dir", str(tmp_path / "slos"), "--synthetic-fixtures", str(tmp_path / "metrics"),
        "--slo", "api-availability", "--from", _iso(after(minutes=-5)), "--to", _iso(after(minutes=40)),
        "--step", "1m", "--output", "json", "--picture", str(picture),
        # The fixtures' file is the README's (fast-burn at 14, slow-burn 1h/6h at 7): the rule above.
        "--set", "rules[fast-burn].threshold=14.4", "--set", "rules[slow-burn].threshold=10000",
    )  # fmt: skip
    assert ran.code == 0, ran.err
    body = json.loads(ran.out)
    assert [t["decision"] for t in body["transitions"]] == ["ALLOW", "BLOCK", "ALLOW"]
    assert body["transitions"][1]["timestamp"] == _iso(after(minutes=1))
    assert len(body["steps"]) == 46 and body["burns"][0]["detectedTime"] == _iso(after(minutes=1))
    assert body["transitions"][2]["timestamp"] == _iso(after(minutes=35))
    assert picture.read_text().startswith("<svg ") and 'data-decision="BLOCK"' in picture.read_text()


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
