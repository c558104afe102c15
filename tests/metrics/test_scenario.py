"""Time-varying synthetic scenarios: exact counts, data age, points and gaps, and the gate they drive.

Counts are closed-form, so every expectation here is exact arithmetic on the scenario's numbers.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aegis.engine.policy import evaluate
from aegis.metrics.scenario import Scenario, ScenarioError, parse_scenario
from aegis.metrics.synthetic import FixtureError, SyntheticAdapter, parse_any_fixture
from aegis.spec.durations import Window
from aegis.spec.loader import load_directory
from aegis.spec.model import SLO, Decision
from tests.conftest import FIXTURES

T0 = datetime(2026, 1, 1, tzinfo=UTC)
HEALTHY = {"for": "7h", "requestsPerSecond": 10, "errorRatio": 0.001}
BURN = {"for": "30m", "requestsPerSecond": 10, "errorRatio": 1}
AFTER = {"requestsPerSecond": 10, "errorRatio": 0.001}


def scenario(*segments: dict[str, object], start: str = "2026-01-01T00:00:00Z") -> Scenario:
    return parse_scenario({"start": start, "segments": list(segments)}, "test.json", loaded_at=T0)


def at(**delta: float) -> datetime:
    return T0 + timedelta(**delta)


def test_scenario_counts_events_exactly() -> None:
    s = scenario(HEALTHY, BURN, AFTER)
    five = s.window(Window(300), at(hours=7))
    assert (five.total, five.good) == pytest.approx((3000.0, 2997.0))
    # Ten minutes into the burn: the hour holds 50 healthy minutes and 10 failing ones.
    hour = s.window(Window(3600), at(hours=7, minutes=10))
    assert hour.total == pytest.approx(36000.0)
    assert hour.good == pytest.approx(50 * 60 * 10 * 0.999)
    assert s.window(Window(300), at(hours=7, minutes=10)).good == 0.0


def test_scenario_samples_every_scrape_interval() -> None:
    s = scenario(HEALTHY, AFTER)
    window = s.window(Window(300), at(hours=1))
    assert window.data_points == 20
    assert window.data_timestamp == at(hours=1)
    assert window.longest_gap == timedelta(seconds=15)
    # Between scrapes the newest sample is the last scrape.
    assert s.window(Window(300), at(hours=1, seconds=7)).data_timestamp == at(hours=1)


def test_scenario_before_its_start_has_no_data() -> None:
    s = scenario(HEALTHY)
    before = s.window(Window(300), at(minutes=-10))
    assert (before.good, before.total, before.data_timestamp, before.data_points) == (None, None, None, 0)
    # Two minutes in, a 5m window is partly covered: 120 s of traffic, samples at 0, 15, ..., 120 s,
    # and a gap of 180 s from the window's start to the first sample.
    partial = s.window(Window(300), at(minutes=2))
    assert partial.total == pytest.approx(1200.0)
    assert partial.data_points == 9
    assert partial.longest_gap == timedelta(seconds=180)


def test_scenario_no_data_segment_is_a_gap_not_zero_traffic() -> None:
    s = scenario({"for": "1h", "requestsPerSecond": 10}, {"for": "10m", "noData": True}, AFTER)
    inside = s.window(Window(300), at(hours=1, minutes=8))
    assert (inside.good, inside.total) == (None, None)
    assert inside.data_timestamp == at(minutes=59, seconds=45)
    # The hour (12m, 1h12m] holds 48 minutes before the gap and 2 after it.
    hour = s.window(Window(3600), at(hours=1, minutes=12))
    assert hour.total == pytest.approx((48 * 60 + 2 * 60) * 10)
    assert hour.longest_gap == timedelta(minutes=10, seconds=15)
    zero = scenario({"for": "1h", "requestsPerSecond": 0}).window(Window(300), at(minutes=30))
    assert (zero.good, zero.total, zero.data_points) == (0.0, 0.0, 20)


def test_scenario_data_stops_when_the_segments_end() -> None:
    s = scenario({"for": "1h", "requestsPerSecond": 10})
    later = s.window(Window(3600), at(hours=1, minutes=30))
    assert later.data_timestamp == at(minutes=59, seconds=45)
    assert later.total == pytest.approx(30 * 60 * 10)


def test_scenario_relative_start_is_counted_from_loading() -> None:
    s = parse_scenario({"start": "-7h", "segments": [AFTER]}, "test.json", loaded_at=T0)
    assert s.start == (T0 - timedelta(hours=7)).timestamp()


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"start": "-1h", "segments": []}, "at least one segment"),
        ({"start": "-1h", "segments": [AFTER, AFTER]}, "segments[0].for: required"),
        ({"start": "-1h", "segments": [{"requestsPerSecond": -1}]}, "from 0 to 1e+09"),
        ({"start": "-1h", "segments": [{"requestsPerSecond": 1, "errorRatio": 2}]}, "errorRatio"),
        ({"start": "-1h", "segments": [{"requestsPerSecond": 1, "errorRatio": True}]}, "errorRatio"),
        ({"start": "-1h", "segments": [{"noData": True, "requestsPerSecond": 1}]}, "noData segment"),
        ({"start": "yesterday", "segments": [AFTER]}, "negative offset like -7h"),
        ({"start": "2026-01-01T00:00:00", "segments": [AFTER]}, "time zone"),
        ({"start": "-1h", "segments": [AFTER], "repeat": True}, "unknown field(s) ['repeat']"),
        ({"start": "-1h", "segments": [{"requestsPerSecond": 1, "forr": "1h"}]}, "unknown field(s) ['forr']"),
        ({"start": "-1h", "segments": [{"for": "soon", "requestsPerSecond": 1}, AFTER]}, "segments[0].for"),
        ({"start": "-1h", "segments": [AFTER] * 1001}, "at most 1000 segments"),
    ],
)
def test_scenario_refuses_what_it_cannot_use(body: dict[str, object], fragment: str) -> None:
    with pytest.raises(ScenarioError, match=None) as caught:
        parse_scenario(body, "bad.json", loaded_at=T0)
    assert fragment in str(caught.value)
    assert "bad.json: scenario" in str(caught.value)


def test_a_scenario_fixture_file_is_one_problem_when_bad(tmp_path: Path) -> None:
    (tmp_path / "good.json").write_text(json.dumps({"scenario": {"start": "-1h", "segments": [AFTER]}}))
    (tmp_path / "bad.json").write_text(json.dumps({"scenario": {"start": "-1h", "segments": "no"}}))
    adapter = SyntheticAdapter.from_directory(tmp_path)
    assert adapter.fixture_names == ("good",)
    assert len(adapter.problems) == 1 and "bad.json: scenario.segments" in adapter.problems[0]
    with pytest.raises(FixtureError):
        parse_any_fixture({"scenario": [], "windows": {}}, "both.json")


@pytest.fixture
def slo() -> SLO:
    """The SRE Workbook's fast-burn rule (5m/1h at 14.4x) on a 99.9% objective."""
    [base] = [s for s in load_directory(FIXTURES / "slo" / "valid").slos if s.id == "api-availability"]
    rule = replace(base.burn_rate_rules[0], threshold=14.4)
    return replace(base, objective=0.999, burn_rate_rules=(rule,), min_data_points=1)


async def _decision(adapter: SyntheticAdapter, slo: SLO, moment: datetime) -> Decision:
    measurement = await adapter.measure(slo, slo.windows, moment)
    return evaluate(slo, measurement, evaluation_id="e", now=moment).decision


async def test_scenario_drives_the_gate_through_a_burn(slo: SLO) -> None:
    burn = scenario(HEALTHY, {"for": "30m", "requestsPerSecond": 10, "errorRatio": 1}, AFTER)
    adapter = SyntheticAdapter({slo.id: burn})
    assert await _decision(adapter, slo, at(hours=7)) is Decision.ALLOW
    # 14.4x of a 0.1% budget is 1.44% errors over the hour: with the 0.1% baseline,
    # 10x + 0.01 (3600 - x) >= 518.4 errors needs x >= 48.3 s of 100% errors.
    assert await _decision(adapter, slo, at(hours=7, seconds=48)) is Decision.ALLOW
    assert await _decision(adapter, slo, at(hours=7, seconds=49)) is Decision.BLOCK
    assert await _decision(adapter, slo, at(hours=7, minutes=29)) is Decision.BLOCK
    # After the burn, the 5m window falls below 1.44% errors once 10 (300 - y) + 0.01 y < 43.2: y > 296 s.
    assert await _decision(adapter, slo, at(hours=7, minutes=34, seconds=50)) is Decision.BLOCK
    assert await _decision(adapter, slo, at(hours=7, minutes=35)) is Decision.ALLOW


async def test_scenario_gap_makes_the_gate_warn(slo: SLO) -> None:
    gap = scenario(HEALTHY, {"for": "20m", "noData": True}, AFTER)
    adapter = SyntheticAdapter({slo.id: gap})
    assert await _decision(adapter, slo, at(hours=7, minutes=15)) is Decision.WARN
