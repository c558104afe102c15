"""The synthetic adapter on real fixture files, and on fixture files a hostile user planted."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aegis.metrics.base import FUTURE_TOLERANCE
from aegis.metrics.synthetic import FixtureError, SyntheticAdapter, fixture_name, parse_fixture
from aegis.spec.durations import Window
from aegis.spec.loader import load_file
from aegis.spec.model import SLO, SLISpec
from tests.conftest import FIXTURES

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
GOOD_FIXTURE = '{"windows": {"5m": {"good": 1, "total": 1}}}'


@pytest.fixture
def slo() -> SLO:
    """The README's SLO: PromQL queries, so it reads the fixture named after its id."""
    return load_file(FIXTURES / "slo" / "valid" / "api-availability.yaml").slos[0]


def _with_queries(slo: SLO, good: str, total: str) -> SLO:
    return replace(slo, sli=SLISpec(slo.sli.type, good, total))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("fixture:fast-burn", "fast-burn"),
        ("  fixture: slow-burn  \n", "slow-burn"),
        ("fixture:nope", "nope"),
        ("healthy", "healthy"),
        ("  healthy\n", "healthy"),
        ("unhealthy", "api-availability"),
        ("sum(rate(x[{{window}}]))", "api-availability"),
        ("healthy-ish", "api-availability"),
    ],
)
def test_synthetic_fixture_name_as_v010_read_queries(query: str, expected: str) -> None:
    assert fixture_name(query, "api-availability", {"healthy", "fast-burn"}) == expected


async def test_synthetic_reads_every_window_of_the_fixture_named_after_the_id(slo: SLO) -> None:
    adapter = SyntheticAdapter.from_directory(FIXTURES / "metrics")
    measurement = await adapter.measure(slo, slo.windows, NOW)
    raw = json.loads((FIXTURES / "metrics" / "api-availability.json").read_text())["windows"]
    assert {w.text for w in measurement.windows} == set(raw)
    for window, sample in measurement.windows.items():
        assert (sample.good, sample.total) == (raw[window.text]["good"], raw[window.text]["total"])
        assert sample.data_timestamp == NOW, "no dataTimestamp means fresh"


@pytest.mark.parametrize("query", ["healthy", "fixture:healthy", " fixture: healthy "])
async def test_synthetic_bare_name_and_prefix_read_the_same_fixture(slo: SLO, query: str) -> None:
    adapter = SyntheticAdapter.from_directory(FIXTURES / "metrics")
    measurement = await adapter.measure(_with_queries(slo, query, query), (Window.parse("5m"),), NOW)
    sample = measurement.windows[Window.parse("5m")]
    assert (sample.good, sample.total) == (99950, 100000)  # v0.1.0's healthy.json


async def test_synthetic_each_query_reads_its_own_fixture(slo: SLO) -> None:
    """As v0.1.0: good events from the good query's fixture, total from the total query's."""
    adapter = SyntheticAdapter.from_directory(FIXTURES / "metrics")
    measurement = await adapter.measure(_with_queries(slo, "fast-burn", "zero-traffic"), slo.windows, NOW)
    sample = measurement.windows[Window.parse("5m")]
    assert (sample.good, sample.total) == (98000, 0)
    assert measurement.windows[Window.parse("6h")].error == "fixture 'fast-burn' has no window 6h"


async def test_synthetic_keeps_the_fixture_timestamp(slo: SLO) -> None:
    adapter = SyntheticAdapter.from_directory(FIXTURES / "metrics")
    measurement = await adapter.measure(_with_queries(slo, "fixture:stale", "stale"), slo.windows, NOW)
    assert measurement.windows[Window.parse("5m")].data_timestamp == datetime(2020, 1, 1, tzinfo=UTC)


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
        ({"windows": {"5m": {"good": -1, "total": 1}}}, "windows.5m.good: expected a finite number >= 0"),
        ({"windows": {"5m": {"good": 1, "total": 1, "godo": 1}}}, "unknown field(s) ['godo']"),
        (
            {"windows": {"5m": {"good": 1, "total": 1, "dataTimestamp": "noon"}}},
            "dataTimestamp: expected RFC 3339",
        ),
        (
            {"windows": {"5m": {"good": 1, "total": 1, "dataTimestamp": "2026-11-27T12:00:00"}}},
            "dataTimestamp: expected a time zone",
        ),
        (
            {"windows": {"5m": {"good": 1, "total": 1, "dataTimestamp": "2026-11-27T12:05:00Z"}}},
            "dataTimestamp: '2026-11-27T12:05:00Z' is in the future",
        ),
        (
            {"windows": {"5m": {"good": 1, "total": 1, "dataPoints": -1}}},
            "dataPoints: expected a whole number from 0 to",
        ),
    ],
)
def test_synthetic_rejects_bad_fixtures(document: object, message: str) -> None:
    with pytest.raises(FixtureError) as raised:
        parse_fixture(document, "f.json", now=NOW)
    assert raised.value.args[0].startswith("f.json")
    assert message in str(raised.value)


def test_synthetic_accepts_a_timestamp_within_the_clock_skew_tolerance() -> None:
    stamp = (NOW + FUTURE_TOLERANCE).isoformat()
    fixture = parse_fixture(
        {"windows": {"5m": {"good": 1, "total": 1, "dataTimestamp": stamp}}}, "f", now=NOW
    )
    assert fixture[Window.parse("5m")].data_timestamp == NOW + FUTURE_TOLERANCE


def test_synthetic_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FixtureError, match="does not exist"):
        SyntheticAdapter.from_directory(tmp_path / "absent")


def _future() -> str:
    return (datetime.now(UTC) + timedelta(days=1)).isoformat()


# What a hostile user tried (issue 6, item 8), each a file beside a good one.
HOSTILE_FIXTURES: dict[str, tuple[str | bytes | None, str]] = {
    "broken.json": ("{not json", "invalid JSON at line 1, column 2"),
    "wrong.json": ('{"windows": 3}', "windows: expected an object"),
    "nested.json": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "huge-integer.json": ('{"windows": {"5m": {"good": ' + "9" * 5000 + ', "total": 1}}}', "5000 characters"),
    "nan.json": ('{"windows": {"5m": {"good": NaN, "total": 1}}}', "expected a finite number, found NaN"),
    "future.json": (None, "is in the future"),
    "binary.json": (b"\xff\xfe{}", "expected UTF-8 text"),
    "big.json": (None, "more than the 1 MiB limit"),
    "fifo.json": (None, "a FIFO (named pipe), not a regular file"),
    "passwd.json": (None, "a symbolic link to a file outside"),
    "zero.json": (None, "a symbolic link to a file outside"),
}


def _plant(directory: Path) -> None:
    (directory / "good.json").write_text(GOOD_FIXTURE)
    for name, (content, _) in HOSTILE_FIXTURES.items():
        path = directory / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, str):
            path.write_text(content)
    (directory / "future.json").write_text(
        json.dumps({"windows": {"5m": {"good": 1, "total": 1, "dataTimestamp": _future()}}})
    )
    with (directory / "big.json").open("wb") as big:
        big.truncate(25 * 1024 * 1024)  # 25 MB, sparse: costs no disk.
    os.mkfifo(directory / "fifo.json")
    (directory / "passwd.json").symlink_to("/etc/passwd")
    (directory / "zero.json").symlink_to("/dev/zero")


@pytest.mark.timeout(30)
def test_synthetic_hostile_fixture_files_are_one_problem_each_beside_good_ones(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _plant(tmp_path)
    with caplog.at_level(logging.ERROR):
        adapter = SyntheticAdapter.from_directory(tmp_path)
    assert adapter.fixture_names == ("good",)
    assert len(adapter.problems) == len(HOSTILE_FIXTURES)
    for name, (_, fragment) in HOSTILE_FIXTURES.items():
        (problem,) = [p for p in adapter.problems if p.startswith(f"{tmp_path / name}: ")]
        assert fragment in problem, problem
        assert len(problem) < 300 + len(str(tmp_path)), "a problem quotes a snippet at most"
        assert problem in caplog.text
    assert "root:" not in caplog.text
