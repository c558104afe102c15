"""Real Prometheus and VictoriaMetrics servers with known history, reusable by any test area.

No waiting for scrapes: traffic profiles are written as counter samples at a
fixed interval over the past hours (and ~20 minutes into the future, so "now"
stays covered while tests run; future samples are ignored until their time),
backfilled into Prometheus with ``promtool tsdb create-blocks-from openmetrics``
or posted to VictoriaMetrics' import API. What the data should read as over any
window is computed from the very same samples, so tests compare the servers'
answers with exact expectations::

    history = History.build([Profile("api", (Segment(25200, 0, 100.0, 0.001),))])
    blocks = backfill(history, tmp / "blocks")
    with running_prometheus(blocks, tmp / "prom") as server:
        ...  # server.url

Plain functions and context managers; binaries are looked up with tests._requirements.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests._requirements import free_port, require_binary

HISTORY = 7 * 3600
FUTURE = 20 * 60
INTERVAL = 15
_READY_TIMEOUT = 30.0


@dataclass(frozen=True)
class Segment:
    """Traffic from ``since`` seconds ago until ``until`` seconds ago (negative: in the future)."""

    since: float
    until: float
    rate: float
    error_ratio: float


@dataclass(frozen=True)
class Profile:
    """One service's requests: ``http_requests_total{service=..., code="200"|"500"}``.

    ``stopped_ago``: no samples after that many seconds ago (a dead target).
    ``gap``: (from, to) seconds ago without samples (collection hole; counters go on).
    ``latency_slow_ratio``: also write a histogram whose requests slower than 0.3s are this share.
    ``code_label``: the label holding the HTTP status (the README's example queries ``status``).
    """

    service: str
    segments: tuple[Segment, ...]
    interval: int = INTERVAL
    stopped_ago: float | None = None
    gap: tuple[float, float] | None = None
    latency_slow_ratio: float | None = None
    code_label: str = "code"

    def rates_at(self, ago: float) -> tuple[float, float]:
        """(good, bad) requests per second at ``ago`` seconds before the history's now."""
        for seg in self.segments:
            if seg.since >= ago > seg.until:
                return seg.rate * (1 - seg.error_ratio), seg.rate * seg.error_ratio
        return 0.0, 0.0


@dataclass
class Series:
    name: str
    labels: dict[str, str]
    points: list[tuple[int, float]] = field(default_factory=list)

    def selector(self) -> str:
        inner = ",".join(f'{k}="{v}"' for k, v in self.labels.items())
        return f"{self.name}{{{inner}}}"


@dataclass
class History:
    now: int
    series: list[Series]
    profiles: dict[str, Profile]

    @classmethod
    def build(cls, profiles: Sequence[Profile], now: int | None = None) -> History:
        now = int(time.time()) if now is None else now
        series: list[Series] = []
        for profile in profiles:
            series.extend(_profile_series(profile, now))
        return cls(now, series, {p.service: p for p in profiles})

    def find(self, name: str, **labels: str) -> Series:
        return next(s for s in self.series if s.name == name and s.labels == labels)

    def increase(self, series: Series, start: float, end: float) -> float:
        """Counter increase between the last samples at or before ``start`` and ``end``."""
        before = [v for t, v in series.points if t <= start]
        upto = [v for t, v in series.points if t <= end]
        if not upto:
            return 0.0
        return upto[-1] - (before[-1] if before else upto[0])

    def error_ratio(self, service: str, window: float, at: float) -> float:
        good = self.increase(self.find("http_requests_total", service=service, code="200"), at - window, at)
        bad = self.increase(self.find("http_requests_total", service=service, code="500"), at - window, at)
        return bad / (good + bad)

    def total_rate(self, service: str, window: float, at: float) -> float:
        good = self.increase(self.find("http_requests_total", service=service, code="200"), at - window, at)
        bad = self.increase(self.find("http_requests_total", service=service, code="500"), at - window, at)
        return (good + bad) / window

    def newest_sample(self, service: str, at: float) -> int | None:
        times = [
            t for t, _ in self.find("http_requests_total", service=service, code="200").points if t <= at
        ]
        return times[-1] if times else None

    def longest_gap(self, service: str, window: float, at: float) -> float:
        """Longest stretch without samples in ``(at - window, at]``, edges included."""
        points = self.find("http_requests_total", service=service, code="200").points
        edges = [at - window, *(t for t, _ in points if at - window < t <= at), at]
        return max(b - a for a, b in itertools.pairwise(edges))

    def samples_in(self, service: str, window: float, at: float) -> int:
        points = self.find("http_requests_total", service=service, code="200").points
        return sum(1 for t, _ in points if at - window < t <= at)

    def openmetrics(self) -> str:
        """OpenMetrics text: each family's series together, each series in time order."""
        lines: list[str] = []
        for name in dict.fromkeys(s.name for s in self.series):
            if name.endswith("_total"):
                lines.append(f"# TYPE {name.removesuffix('_total')} counter")
            else:
                lines.append(f"# TYPE {name} unknown")
            for s in (s for s in self.series if s.name == name):
                lines.extend(f"{s.selector()} {_number(v)} {t}" for t, v in s.points)
        lines.append("# EOF")
        return "\n".join(lines) + "\n"

    def prometheus_text_ms(self) -> str:
        """Prometheus exposition lines with millisecond timestamps (VictoriaMetrics' import format)."""
        return "".join(f"{s.selector()} {_number(v)} {t * 1000}\n" for s in self.series for t, v in s.points)


def _number(value: float) -> str:
    return repr(float(value))


def _profile_series(profile: Profile, now: int) -> list[Series]:
    start, end = now - HISTORY, now + FUTURE
    labels = {"service": profile.service}
    good = Series("http_requests_total", {**labels, profile.code_label: "200"})
    bad = Series("http_requests_total", {**labels, profile.code_label: "500"})
    buckets = {
        le: Series("http_request_duration_seconds_bucket", {**labels, "le": le}) for le in ("0.3", "+Inf")
    }
    count = Series("http_request_duration_seconds_count", labels)
    good_total = bad_total = 0.0
    t = start
    while t <= end:
        ago = now - t
        stopped = profile.stopped_ago is not None and ago < profile.stopped_ago
        in_gap = profile.gap is not None and profile.gap[0] > ago > profile.gap[1]
        if not stopped and not in_gap:
            good.points.append((t, good_total))
            bad.points.append((t, bad_total))
            if profile.latency_slow_ratio is not None:
                requests = good_total + bad_total
                buckets["0.3"].points.append((t, requests * (1 - profile.latency_slow_ratio)))
                buckets["+Inf"].points.append((t, requests))
                count.points.append((t, requests))
        # Traffic between this sample and the next, read at the middle of that interval.
        good_rate, bad_rate = profile.rates_at(ago - profile.interval / 2)
        good_total += good_rate * profile.interval
        bad_total += bad_rate * profile.interval
        t += profile.interval
    out = [good, bad]
    if profile.latency_slow_ratio is not None:
        out += [*buckets.values(), count]
    return out


def backfill(history: History, blocks_dir: Path) -> Path:
    """Write the history as OpenMetrics and turn it into TSDB blocks with promtool."""
    promtool = require_binary("promtool", "/usr/bin/promtool")
    blocks_dir.mkdir(parents=True, exist_ok=True)
    source = blocks_dir.parent / f"{blocks_dir.name}.om"
    source.write_text(history.openmetrics(), encoding="utf-8")
    result = subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(source), str(blocks_dir)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"promtool failed: {result.stdout}\n{result.stderr}")
    return blocks_dir


@dataclass
class ServerProcess:
    """A server subprocess on 127.0.0.1:port; ``stop()``/``start()`` restart it on the same port.

    Ready once ``ready_path`` answers 200; ``env`` and ``cwd`` default to this process's.
    """

    argv: list[str]
    port: int
    ready_path: str
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    env: dict[str, str] | None = None  # None: this process's environment
    cwd: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.argv, stdout=log, stderr=subprocess.STDOUT, env=self.env, cwd=self.cwd
            )
        deadline = time.monotonic() + _READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.argv[0]} exited: {self.log_path.read_text(errors='replace')[-2000:]}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + self.ready_path, timeout=1.0).status_code == 200:
                    return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(
            f"{self.argv[0]} not ready in {_READY_TIMEOUT}s: {self.log_path.read_text()[-2000:]}"
        )

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


@contextlib.contextmanager
def running_prometheus(
    blocks: Path,
    workdir: Path,
    port: int | None = None,
    *,
    rule_files: Sequence[Path] = (),
    evaluation_interval: str = "1m",
) -> Iterator[ServerProcess]:
    """Prometheus over a copy of ``blocks`` (so several servers can share one backfill).

    ``rule_files`` are loaded (``rule_files:``) and evaluated every ``evaluation_interval``.
    """
    binary = require_binary("prometheus", "/usr/bin/prometheus")
    workdir.mkdir(parents=True, exist_ok=True)
    data = workdir / "data"
    shutil.copytree(blocks, data, dirs_exist_ok=True)
    config = workdir / "prometheus.yml"
    rules = "".join(f"  - {json.dumps(str(path))}\n" for path in rule_files)
    config.write_text(
        f"global: {{scrape_interval: 15s, evaluation_interval: {evaluation_interval}}}\nscrape_configs: []\n"
        + (f"rule_files:\n{rules}" if rules else ""),
        encoding="utf-8",
    )
    port = port or free_port()
    server = ServerProcess(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={data}",
            "--storage.tsdb.retention.time=30d",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        port,
        "/-/ready",
        workdir / "prometheus.log",
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def running_victoria_metrics(history: History, workdir: Path) -> Iterator[ServerProcess]:
    """VictoriaMetrics loaded with ``history`` through /api/v1/import/prometheus, flushed, searchable.

    -search.latencyOffset=0 lets queries at "now" see the newest samples;
    -search.disableCache keeps answers from an earlier, emptier state from being reused.
    """
    binary = require_binary("victoria-metrics", "/usr/bin/victoria-metrics")
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    server = ServerProcess(
        [
            binary,
            f"-storageDataPath={workdir / 'data'}",
            f"-httpListenAddr=127.0.0.1:{port}",
            "-retentionPeriod=100y",
            "-search.latencyOffset=0",
            "-search.disableCache",
        ],
        port,
        "/health",
        workdir / "victoria-metrics.log",
    )
    server.start()
    try:
        body = history.prometheus_text_ms().encode()
        response = httpx.post(server.url + "/api/v1/import/prometheus", content=body, timeout=60)
        response.raise_for_status()
        httpx.get(server.url + "/internal/force_flush", timeout=60).raise_for_status()
        yield server
    finally:
        server.stop()


def expected_burn(history: History, service: str, window: float, at: float, objective: float) -> float:
    return history.error_ratio(service, window, at) / (1 - objective)


def close_to(a: float, b: float, rel: float = 0.02, absolute: float = 1e-9) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=absolute)
