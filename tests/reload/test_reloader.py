"""The reload seam on virtual time: polling, dependencies between sources, and the scheduler following.

Real sources (SLO files, an API keys file, a backends file) on real files, a real scheduler and
engine over synthetic fixtures; only time is virtual, so minutes of polling take milliseconds and
counts are exact.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from aegis.auth import Keyring, load_keys
from aegis.metrics.backends_file import BackendSpec
from aegis.reload import KeysFile, Reloader, ReloadResult, SLOFiles
from aegis.reload.backends import Backends
from aegis.scheduler import Evaluated, Evaluator, LatestInMemory, Scheduler, SLOCatalog
from aegis.telemetry import Telemetry
from tests._time import VirtualTime
from tests.api.test_auth import secret_of, write_keys_file
from tests.conftest import FIXTURES
from tests.reload.test_slo_files import document, inline, write

FIXTURE_DIR = FIXTURES / "metrics"


class Recorder:
    def __init__(self) -> None:
        self.events: list[Evaluated] = []

    def on_evaluation(self, event: Evaluated) -> None:
        self.events.append(event)

    def objectives(self, slo_id: str) -> list[float]:
        return [e.slo.objective for e in self.events if e.slo.id == slo_id]


class World:
    """What the server builds, on virtual time: backends, SLO files, keys, reloader, scheduler."""

    def __init__(self, tmp: Path, time: VirtualTime, interval: float = 10.0) -> None:
        self.slo_dir = tmp / "slos"
        write(self.slo_dir, "api.yaml", document("api", evaluationInterval="1h"))
        self.backends_file = tmp / "backends.yaml"
        self.write_backends()
        self.keys_path = write_keys_file(tmp / "keys.yaml", {"ci": frozenset({"read"})})
        self.telemetry = Telemetry()
        self.backends = Backends(
            BackendSpec("default", "synthetic", fixtures=str(FIXTURE_DIR)),
            str(self.backends_file),
            recorder=self.telemetry,
            offload=inline,
        )
        self.backends.load_initial()
        self.catalog = SLOCatalog()
        self.slo_files = SLOFiles(
            str(self.slo_dir),
            self.catalog,
            backends=lambda: self.backends.names,
            telemetry=self.telemetry,
            offload=inline,
        )
        self.slo_files.load_initial()
        self.keyring = Keyring(load_keys(self.keys_path), source=str(self.keys_path))
        self.keys = KeysFile(self.keyring)
        self.reloader = Reloader(
            [self.keys, self.backends, self.slo_files],
            interval=interval,
            telemetry=self.telemetry,
            timer=time,
        )
        self.recorder = Recorder()
        evaluator = Evaluator(self.backends.router, telemetry=self.telemetry, clock=time.clock)
        self.scheduler = Scheduler(
            self.catalog,
            evaluator,
            latest=LatestInMemory(),
            listeners=[self.recorder],
            timer=time,
            startup_spread=0.0,
        )

    def write_backends(self, *extra: str) -> None:
        lines = ["backends:"]
        lines += [f"  - {{name: {name}, type: synthetic, fixtures: {FIXTURE_DIR}}}" for name in extra]
        if not extra:
            lines = ["backends: []"]
        self.backends_file.write_text("\n".join(lines) + "\n")

    def reloads(self, source: str, result: ReloadResult) -> float:
        value = self.telemetry.registry.get_sample_value(
            "aegis_reloads_total", {"source": source, "result": result}
        )
        return value or 0.0


@pytest.fixture
async def world(tmp_path: Path) -> World:
    return World(tmp_path, VirtualTime())


async def test_reloader_polls_every_interval_and_reloads_only_what_changed(tmp_path: Path) -> None:
    time = VirtualTime()
    world = World(tmp_path, time, interval=10.0)
    world.scheduler.start()
    world.reloader.start()
    try:
        await time.advance(0)
        assert world.recorder.objectives("api") == [0.999]
        await time.advance(60)  # six polls, nothing changed: nothing read again
        assert world.reloads("slo_files", "changed") + world.reloads("slo_files", "unchanged") == 0

        write(world.slo_dir, "api.yaml", document("api", objective=0.99, evaluationInterval="1h"))
        write(world.slo_dir, "web.yaml", document("web", evaluationInterval="1h"))
        await time.advance(9.9)
        assert "web" not in world.catalog
        await time.advance(0.1)
        # Seen at the next poll: the new SLO starts and the changed one restarts, both at once.
        assert sorted(world.catalog.entries) == ["api", "web"]
        assert world.recorder.objectives("api") == [0.999, 0.99]
        assert world.recorder.objectives("web") == [0.999]
        assert world.reloads("slo_files", "changed") == 1
        assert world.reloads("api_keys", "changed") + world.reloads("backends", "changed") == 0

        # A file that turns invalid restarts nothing: the last good version runs on its schedule.
        (world.slo_dir / "web.yaml").write_text("spec: [")
        await time.advance(10)
        entry = world.catalog.entry("web")
        assert entry is not None and entry.load_error is not None
        assert world.recorder.objectives("web") == [0.999]
        assert world.reloads("slo_files", "unchanged") == 1
        await time.advance(3600)
        assert world.recorder.objectives("web") == [0.999, 0.999]
    finally:
        await world.reloader.stop()
        await world.scheduler.stop()


async def test_reloader_a_new_backend_lets_the_slos_naming_it_load(world: World) -> None:
    write(world.slo_dir, "vm.yaml", document("on-vm", sli={"backend": "vm"}))
    assert await world.reloader.poll() == {"slo_files": "unchanged"}
    assert [p.path for p in world.catalog.problems] == ["spec.sli.backend"]

    # Only the backends file changes; the SLO files are read again because they depend on it.
    world.write_backends("vm")
    assert await world.reloader.poll() == {"backends": "changed", "slo_files": "changed"}
    assert world.catalog.problems == ()
    assert world.backends.names == ("default", "vm")
    evaluation = await world.scheduler.evaluate_now("on-vm")
    assert evaluation.decision.name == "ALLOW"

    # The backend goes away again: the SLO keeps its last good version, which now WARNs, saying why.
    world.write_backends()
    await world.reloader.poll()
    entry = world.catalog.entry("on-vm")
    assert entry is not None and entry.load_error is not None and "'vm'" in entry.load_error
    evaluation = await world.scheduler.evaluate_now("on-vm")
    assert evaluation.decision.name == "WARN"
    assert any("no metric backend named 'vm' is configured" in r for r in evaluation.reasons)


async def test_reloader_reload_all_reads_every_source_even_unchanged(world: World) -> None:
    assert await world.reloader.reload_all() == {
        "api_keys": "unchanged",
        "backends": "unchanged",
        "slo_files": "unchanged",
    }
    assert await world.reloader.poll() == {}


async def test_reloader_a_bad_keys_or_backends_file_keeps_what_is_in_force(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.keys_path.write_text("keys: [broken\n")
    world.backends_file.write_text("backends:\n  - {name: vm, type: prometheus, url: ftp://nowhere}\n")
    with caplog.at_level(logging.ERROR):
        results = await world.reloader.poll()
    assert results == {"api_keys": "failed", "backends": "failed"}
    assert world.keyring.authenticate(secret_of("ci")) is not None
    assert world.backends.names == ("default",)
    problems = world.reloader.problems()
    assert len(problems) == 2
    assert problems[0].startswith("API keys file not reloaded, the previous keys stay in force:")
    assert problems[1].startswith("backends file not reloaded, the previous backends stay in force:")
    assert "backends[0]" in problems[1] and "expected http(s)://host" in problems[1]
    assert secret_of("ci") not in caplog.text
    assert await world.reloader.poll() == {}  # not read again until it changes

    write_keys_file(world.keys_path, {"rotated": frozenset({"read"})})
    world.write_backends("vm")
    assert await world.reloader.poll() == {
        "api_keys": "changed",
        "backends": "changed",
        "slo_files": "unchanged",
    }
    assert world.reloader.problems() == []
    assert world.keyring.authenticate(secret_of("ci")) is None
    assert world.keyring.authenticate(secret_of("rotated")) is not None


async def test_reloader_a_source_that_fails_unexpectedly_does_not_stop_the_others(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        name = "broken"
        requires: tuple[str, ...] = ()
        problem = None

        async def changed(self) -> bool:
            return True

        async def reload(self) -> ReloadResult:
            raise RuntimeError("a bug")

    reloader = Reloader([Broken(), world.slo_files], interval=0, telemetry=world.telemetry)
    write(world.slo_dir, "web.yaml", document("web"))
    with caplog.at_level(logging.ERROR):
        assert await reloader.poll() == {"broken": "failed", "slo_files": "changed"}
    assert "reloading broken failed" in caplog.text
    assert world.reloads("broken", "failed") == 1


async def test_reloader_request_reloads_everything_soon_but_not_once_stopped(world: World) -> None:
    """What the SIGHUP handler calls: it cannot await, so the reload runs as a task."""
    write(world.slo_dir, "web.yaml", document("web"))
    world.reloader.request()
    await VirtualTime().settle()
    assert "web" in world.catalog
    assert world.reloads("api_keys", "unchanged") == 1  # every source, changed or not

    await world.reloader.stop()
    write(world.slo_dir, "late.yaml", document("late"))
    world.reloader.request()
    await VirtualTime().settle()
    assert "late" not in world.catalog
