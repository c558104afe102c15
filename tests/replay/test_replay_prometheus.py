"""Replays over real Prometheus history with known burns: the range path, the server, the CLI, the picture."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest
from google.protobuf import json_format

from aegis.metrics.base import StepTimes
from aegis.metrics.prometheus import PrometheusAdapter, PrometheusConfig
from aegis.metrics.router import BackendRouter
from aegis.replay.history import measure_history
from aegis.replay.svg import DECISION_COLOURS
from aegis.spec.durations import Window
from aegis.spec.loader import load_directory
from aegis.spec.model import SLO
from aegis.v1 import replay_pb2, replay_pb2_grpc
from tests._browser import (
    assert_not_blank,
    chromium,
    close_colour,
    decode_png,
    hex_rgb,
    rasterize_svg,
    save_for_docs,
)
from tests._prometheus import HISTORY, ServerProcess
from tests.cli._aegis import aegis
from tests.conftest import LiveServer, default_settings, start_live, stop_live
from tests.replay.conftest import Timeline

pytestmark = pytest.mark.prometheus
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def slo(replay_slo_dir: Path) -> SLO:
    [loaded] = load_directory(replay_slo_dir).slos
    return loaded


@pytest.fixture
async def adapter(burn_prometheus: ServerProcess) -> AsyncIterator[PrometheusAdapter]:
    # No alignment: each instant is asked at exactly the step's time, as the range query asks it;
    # and the compliance window read at every instant too, as the range query reads it (the gate
    # keeps it up to long_window_interval, tests/metrics/test_prometheus_long_windows.py).
    made = PrometheusAdapter(PrometheusConfig(burn_prometheus.url, time_alignment=0, long_window_interval=0))
    yield made
    await made.aclose()


@pytest.mark.parametrize(
    ("since_history_start", "step", "count"),
    [
        # Around the burn's start, steps off the timeline's 15 s grid.
        (4 * 3600 - 180 + 7, 60, 12),
        # Across the start of the history: windows without data, then partly covered ones.
        (-150, 37, 10),
    ],
    ids=["burn", "history-start"],
)
async def test_range_path_reads_what_instant_queries_read(
    adapter: PrometheusAdapter,
    slo: SLO,
    burn_times: Timeline,
    since_history_start: int,
    step: int,
    count: int,
) -> None:
    """Two range queries for the whole span give, step by step, the Measurement of each instant."""
    windows = (*slo.windows, Window(60))
    start = burn_times.now - timedelta(seconds=HISTORY - since_history_start)
    steps = StepTimes(start, step, count)
    before = adapter.requests_total
    ranged = await adapter.measure_range(slo, windows, steps, time.monotonic() + 30)
    assert adapter.requests_total - before == 2
    instant = [await adapter.measure(slo, windows, at) for at in steps.times()]
    assert ranged == instant
    assert len({m.windows[Window(300)].good for m in ranged}) > 2, "the steps saw different data"


@pytest.fixture(scope="module")
async def live_replay(
    burn_prometheus: ServerProcess, replay_slo_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[LiveServer]:
    settings = default_settings(
        tmp_path_factory.mktemp("replay-live"),
        slo_dir=str(replay_slo_dir),
        adapter="prometheus",
        prometheus_url=burn_prometheus.url,
    )
    server = await start_live(settings)
    yield server
    await stop_live(server)


def _span(times: Timeline) -> dict[str, str]:
    return {
        "startTime": _iso(times.burn_start - timedelta(minutes=10)),
        "endTime": _iso(times.blip_start + timedelta(minutes=20)),
        "step": "1m",
    }


async def test_replay_on_real_history_finds_both_burns(live_replay: LiveServer, burn_times: Timeline) -> None:
    response = await live_replay.rest.post(
        "/v1/replay", json={"sloID": "replay-checkout", **_span(burn_times)}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["steps"]) == (90 + 30) + 1 and body["errorRatioWindow"] == "1m"
    start = burn_times.burn_start
    decisions = [(t["previousDecision"], t["decision"]) for t in body["transitions"]]
    assert decisions == [("DECISION_UNSPECIFIED", "ALLOW"), ("ALLOW", "BLOCK"), ("BLOCK", "ALLOW")]
    blocked_at, opened_at = (_at(t["timestamp"]) for t in body["transitions"][1:])
    # 48 s of errors close the gate (steps are a minute apart); the 5m window opens it 296 s after.
    assert start + timedelta(minutes=1) <= blocked_at <= start + timedelta(minutes=2)
    assert (
        burn_times.burn_end + timedelta(minutes=4) <= opened_at <= burn_times.burn_end + timedelta(minutes=6)
    )
    assert 32 <= body["minutesBlocked"] <= 36 and body["minutesWarned"] == 0
    assert body["transitions"][1]["reasons"][0].startswith("rule fast-burn fired (BLOCK)")
    caught, missed = body["burns"]
    assert abs((_at(caught["startTime"]) - start).total_seconds()) <= 60
    assert caught["detectedTime"] == body["transitions"][1]["timestamp"]
    assert caught["detectionSeconds"] <= 120 and 120 <= caught["resetSeconds"] <= 360
    assert caught["worstDecision"] == "BLOCK" and caught["peakBurnRate"] == pytest.approx(1000, rel=0.05)
    # The blip: the 5m window sees it, the 1h window does not, nothing fires.
    assert abs((_at(missed["startTime"]) - burn_times.blip_start).total_seconds()) <= 60
    assert "detectedTime" not in missed and missed["worstDecision"] == "ALLOW"
    assert missed["peakBurnRate"] == pytest.approx(200, rel=0.05)


async def test_replay_with_another_threshold_on_the_same_history(
    live_replay: LiveServer, burn_times: Timeline
) -> None:
    body = (
        await live_replay.rest.post(
            "/v1/replay",
            json={
                "sloID": "replay-checkout",
                "overrides": ["rules[fast-burn].threshold=100"],
                **_span(burn_times),
            },
        )
    ).json()
    assert body["overrides"] == ["rules[fast-burn].threshold=100"]
    assert body["slo"]["burnRateRules"][0]["threshold"] == 100
    # 10% errors over the hour take about 6 minutes of 100% errors to gather.
    caught, missed = body["burns"]
    assert 300 <= caught["detectionSeconds"] <= 420
    assert "detectedTime" not in missed
    assert 26 <= body["minutesBlocked"] <= 31


async def test_replay_over_grpc_is_the_rest_answer(live_replay: LiveServer, burn_times: Timeline) -> None:
    span = _span(burn_times)
    rest = (await live_replay.rest.post("/v1/replay", json={"sloID": "replay-checkout", **span})).json()
    request = json_format.ParseDict({"sloID": "replay-checkout", **span}, replay_pb2.ReplayRequest())
    over_grpc = await replay_pb2_grpc.ReplayServiceStub(live_replay.channel).Replay(request)
    assert json_format.MessageToDict(over_grpc, always_print_fields_with_no_presence=True) == rest


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"sloID": "nope", "startTime": "2026-01-01T00:00:00Z"}, 404, "no SLO with id 'nope'"),
        ({"sloID": "replay-checkout"}, 400, "startTime is required"),
        (
            {"sloID": "replay-checkout", "startTime": "2025-01-01T00:00:00Z", "step": "1m"},
            400,
            "at most 10000",
        ),
        (
            {"sloID": "replay-checkout", "startTime": "2026-01-01T00:00:00Z", "step": "soon"},
            400,
            "step: expected",
        ),
        (
            {
                "sloID": "replay-checkout",
                "startTime": "2026-01-01T00:00:00Z",
                "endTime": "2026-01-01T01:00:00Z",
                "overrides": ["sli.good.prometheusQuery=up"],
            },
            400,
            "only these fields",
        ),
        (
            {
                "sloID": "replay-checkout",
                "startTime": "2026-01-01T00:00:00Z",
                "endTime": "2099-01-01T00:00:00Z",
            },
            400,
            "in the future",
        ),
    ],
)
async def test_replay_refuses_what_it_cannot_do(
    live_replay: LiveServer, body: dict[str, object], status: int, fragment: str
) -> None:
    response = await live_replay.rest.post("/v1/replay", json=body)
    assert response.status_code == status, response.text
    assert fragment in response.json()["message"]


async def test_replay_past_its_deadline_is_deadline_exceeded(
    live_replay: LiveServer, burn_times: Timeline
) -> None:
    # 10,000 steps of 2 s: more than the server can read and evaluate within a 1 s deadline.
    span = {
        "startTime": _iso(burn_times.now - timedelta(hours=5, minutes=30)),
        "endTime": _iso(burn_times.now),
        "step": "2s",
    }
    response = await live_replay.rest.post(
        "/v1/replay", json={"sloID": "replay-checkout", **span}, headers={"Grpc-Timeout": "1S"}
    )
    assert response.status_code == 504, response.text
    # Whichever stops it first, the replay's own deadline or the call's, the caller reads the same code.
    assert response.json()["code"] == 4


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_cli_replays_through_the_server_and_here_alike(
    live_replay: LiveServer,
    burn_times: Timeline,
    replay_slo_dir: Path,
    burn_prometheus: ServerProcess,
    tmp_path: Path,
) -> None:
    span = _span(burn_times)
    when = ["--slo", "replay-checkout", "--from", span["startTime"], "--to", span["endTime"], "--step", "1m"]
    picture = tmp_path / "replay.svg"
    table = await aegis("replay", "--url", live_replay.rest_url, *when, "--picture", str(picture))
    assert table.code == 0, table.err
    lines = table.out.splitlines()
    assert lines[0].startswith("Replay of replay-checkout from ") and lines[0].endswith(
        "every 1m (121 steps)"
    )
    assert "Transitions" in lines and "Timeline" in lines
    assert any(" ALLOW  BLOCK  rule fast-burn fired (BLOCK)" in line for line in lines)
    assert any("not detected" in line for line in lines), "the blip is listed, undetected"
    assert picture.read_text().startswith("<svg ")
    remote = await aegis("replay", "--url", live_replay.rest_url, *when, "--output", "json")
    local = await aegis(
        "replay",
        "--dir",
        str(replay_slo_dir),
        "--prometheus-url",
        burn_prometheus.url,
        *when,
        "--output",
        "json",
    )
    assert remote.code == local.code == 0, remote.err + local.err
    rest = (await live_replay.rest.post("/v1/replay", json={"sloID": "replay-checkout", **span})).json()
    assert json.loads(remote.out) == {k: v for k, v in rest.items() if k != "pictureSvg"}
    # Here or on the server, the same history gives the same replay (the SLO's source file aside).
    here, there = json.loads(local.out), json.loads(remote.out)
    assert {**here, "slo": None} == {**there, "slo": None}


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["--from", "yesterday"], 2, "expected an RFC 3339 time, now, or now-DURATION such as now-6h"),
        (["--from", "now-1h", "--picture", "replay.png"], 2, "the picture is SVG"),
        (["--from", "now-1h", "--dir", "."], 3, "say where history is"),
        (["--from", "now-1h", "--set", "rules[9].threshold=1"], 3, "no item 9"),
        (["--from", "now-1h", "--slo", "nope"], 3, "no SLO with id 'nope'"),
    ],
)
async def test_cli_replay_errors_say_what_to_fix(
    live_replay: LiveServer, args: list[str], code: int, fragment: str
) -> None:
    argv = ["replay", "--slo", "replay-checkout", *args]
    if "--dir" not in args:
        argv += ["--url", live_replay.rest_url]
    ran = await aegis(*argv)
    assert ran.code == code, ran.err
    assert fragment in ran.err


async def test_replay_picture_draws_the_decisions_where_they_happened(
    live_replay: LiveServer, burn_times: Timeline
) -> None:
    body = (
        await live_replay.rest.post(
            "/v1/replay", json={"sloID": "replay-checkout", "includePicture": True, **_span(burn_times)}
        )
    ).json()
    svg = body["pictureSvg"]
    root = ElementTree.fromstring(svg)
    band = [r for r in root.iter(f"{SVG}rect") if r.get("data-decision")]
    assert [r.get("data-decision") for r in band] == ["ALLOW", "BLOCK", "ALLOW"]
    assert band[1].get("data-start") == body["transitions"][1]["timestamp"].replace(".000Z", "Z")
    assert len(list(root.iter(f"{SVG}polyline"))) >= 3, "error ratio and two burn-rate lines"
    async with chromium() as browser:
        png = await rasterize_svg(browser, svg)
    image = decode_png(png)
    assert (image.width, image.height) == (int(root.get("width", "0")), round(float(root.get("height", "0"))))
    assert_not_blank(image)
    for rect in band:
        x = float(rect.get("x", "0")) + float(rect.get("width", "0")) / 2
        y = float(rect.get("y", "0")) + float(rect.get("height", "0")) / 2
        found = image.getpixel((round(x), round(y)))
        wanted = hex_rgb(DECISION_COLOURS[rect.get("data-decision", "")])
        assert close_colour(found, wanted), (rect.get("data-decision"), found)
    # Ten minutes into the burn, the band is red wherever the BLOCK run is drawn.
    block = band[1]
    assert close_colour(
        image.getpixel((round(float(block.get("x", "0")) + 5), round(float(block.get("y", "0")) + 3))),
        hex_rgb("#c62828"),
    )
    save_for_docs("replay-example.png", png)


async def test_replay_behind_the_backends_router_reads_ranges_from_the_slos_backend(
    adapter: PrometheusAdapter, slo: SLO, burn_times: Timeline
) -> None:
    """With a backends file, the server's adapter is the router: a replay still costs two requests."""
    router = BackendRouter({slo.sli.backend: adapter})
    steps = StepTimes(burn_times.now - timedelta(hours=1), 60, 30)
    before = adapter.requests_total
    measured = await measure_history(router, slo, slo.windows, steps, time.monotonic() + 30)
    assert len(measured) == 30
    assert adapter.requests_total - before == 2
    # An SLO naming no configured backend is asked step by step, and each step says why.
    stray = dataclasses.replace(slo, sli=dataclasses.replace(slo.sli, backend="elsewhere"))
    [first, *_] = await measure_history(router, stray, stray.windows, steps, time.monotonic() + 30)
    assert first.error is not None and "no metric backend named 'elsewhere'" in first.error
