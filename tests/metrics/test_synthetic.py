"""The synthetic adapter on real fixture files."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from aegis.metrics.synthetic import FixtureError, SyntheticAdapter, fixture_name, parse_fixture
from aegis.spec.durations import Window
from aegis.spec.loader import load_file
from aegis.spec.model import SLO, SLISpec
from tests.conftest import FIXTURES

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.fixture
def slo() -> SLO:
    return load_file(FIXTURES / "slo" / "valid" / "api-availability.yaml").slos[0]


def _with_queries(slo: SLO, good: str, total: str) -> SLO:
    return replace(slo, sli=SLISpec(slo.sli.type, good, total))


@pytest.mark.parametrize(
    ("good", "total", "expected"),
    [
        ("fixture:fast-burn", "fixture:fast-burn", "fast-burn"),
        ("  fixture: slow-burn  ", "x", "slow-burn"),
        ("sum(rate(x[{{window}}]))", "fixture:stale", "stale"),
        ("sum(rate(x[{{window}}]))", "sum(rate(y[{{window}}]))", "api-availability"),
    ],
)
def test_synthetic_fixture_name(slo: SLO, good: str, total: str, expected: str) -> None:
    assert fixture_name(_with_queries(slo, good, total)) == expected


async def test_synthetic_reads_every_window_of_the_named_fixture(slo: SLO) -> None:
    adapter = SyntheticAdapter.from_directory(FIXTURES / "metrics")
    measurement = await adapter.measure(slo, slo.windows, NOW)
    raw = json.loads((FIXTURES / "metrics" / "api-availability.json").read_text())["windows"]
    assert {w.text for w in measurement.windows} == set(raw)
    for window, sample in measurement.windows.items():
        assert (sample.good, sample.total) == (raw[window.text]["good"], raw[window.text]["total"])
        assert sample.data_timestamp == NOW, "no dataTimestamp means fresh"


async def test_synthetic_keeps_the_fixture_timestamp(slo: SLO) -> None:
    adapter = SyntheticAdapter.from_directory(FIXTURES / "metrics")
    measurement = await adapter.measure(_with_queries(slo, "fixture:stale", ""), slo.windows, NOW)
    assert measurement.windows[Window.parse("5m")].data_timestamp == datetime(2024, 1, 15, 10, 30, tzinfo=UTC)


async def test_synthetic_missing_fixture_and_window_are_missing_data(slo: SLO) -> None:
    adapter = SyntheticAdapter.from_directory(FIXTURES / "metrics")
    missing = await adapter.measure(_with_queries(slo, "fixture:nope", ""), slo.windows, NOW)
    assert missing.error is not None and "no synthetic fixture named 'nope'" in missing.error
    partial = await adapter.measure(slo, (Window.parse("2h"),), NOW)
    sample = partial.windows[Window.parse("2h")]
    assert not sample.has_data and sample.error == "fixture 'api-availability' has no window 2h"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], 'expected an object with exactly one key "windows"'),
        ({"windows": {"5x": {"good": 1, "total": 1}}}, "windows.5x: expected a duration"),
        ({"windows": {"5m": {"good": "1", "total": 1}}}, "windows.5m.good: expected a number"),
        ({"windows": {"5m": {"good": 1, "total": 1, "godo": 1}}}, "unknown field(s) ['godo']"),
        (
            {"windows": {"5m": {"good": 1, "total": 1, "dataTimestamp": "noon"}}},
            "dataTimestamp: expected RFC 3339",
        ),
        (
            {"windows": {"5m": {"good": 1, "total": 1, "dataPoints": -1}}},
            "dataPoints: expected a non-negative",
        ),
    ],
)
def test_synthetic_rejects_bad_fixtures(document: object, message: str) -> None:
    with pytest.raises(FixtureError) as raised:
        parse_fixture(document, "f.json")
    assert raised.value.args[0].startswith("f.json")
    assert message in str(raised.value)


def test_synthetic_skips_bad_files_and_keeps_good_ones(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "good.json").write_text('{"windows": {"5m": {"good": 1, "total": 1}}}')
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "wrong.json").write_text('{"windows": 3}')
    with caplog.at_level(logging.ERROR):
        adapter = SyntheticAdapter.from_directory(tmp_path)
    assert adapter.fixture_names == ("good",)
    assert "broken.json" in caplog.text and "wrong.json" in caplog.text


def test_synthetic_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FixtureError, match="does not exist"):
        SyntheticAdapter.from_directory(tmp_path / "absent")
