"""What hot reload costs on a directory of 10,000 SLO files (docs/operations.md#what-it-costs).

Polling stats every file and reads none; a reload reads only the files whose stamp changed.
Measured: the poll (scan + fingerprint), the first load (every file parsed), a reload after one
file changed, after nothing changed, after every file was rewritten with the same text (what a
ConfigMap update looks like), and decisions answered by a live server while a reload parses
every file again. Targets: a poll under 0.5 s and a one-file reload under 2 s for
10,000 files; at least one decision answered during a full re-read. A miss exits 1.

    PYTHONPATH=. .venv/bin/python bench/bench_reload.py [--files 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import _results  # the sibling module (its directory is on sys.path)
import httpx

from aegis.api.server import Server
from aegis.app import Application
from aegis.config import Settings
from aegis.reload import SLOFiles
from aegis.scheduler import SLOCatalog
from aegis.spec.files import find_spec_files

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "fixtures" / "slo" / "valid" / "api-availability.yaml").read_text()
TARGET_POLL = 0.5
TARGET_ONE_FILE = 2.0


def _write_files(directory: Path, count: int) -> None:
    for index in range(count):
        team = directory / f"team-{index % 50:02d}"
        team.mkdir(parents=True, exist_ok=True)
        text = README.replace("id: api-availability", f"id: slo-{index:05d}")
        (team / f"slo-{index:05d}.yaml").write_text(text)


def _timed(work: Callable[[], object], runs: int = 5) -> float:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def _touch(directory: Path, pattern: str, *, change: bool = False, same: bool = False) -> None:
    """Write files again. ``change``: only the first match, with a new objective; ``same``: the same
    text; else a new comment in every file, so each is parsed again (same text would be reused)."""
    for path in sorted(directory.glob(pattern)):
        text = path.read_text()
        if change:
            path.write_text(text.replace("objective: 0.995", "objective: 0.99"))
            return
        path.write_text(text if same else "# reviewed\n" + text)


async def _inline(work: Callable[[], object]) -> object:
    return work()


async def _reloads(directory: Path) -> dict[str, float]:
    files = SLOFiles(str(directory), SLOCatalog(), offload=_inline)  # type: ignore[arg-type]
    started = time.perf_counter()
    files.load_initial()
    first = time.perf_counter() - started
    _touch(directory, "team-07/*.yaml", change=True)
    started = time.perf_counter()
    await files.reload()
    one = time.perf_counter() - started
    started = time.perf_counter()
    await files.reload()
    none = time.perf_counter() - started
    _touch(directory, "**/*.yaml", same=True)  # new stamps, same text: a ConfigMap update
    started = time.perf_counter()
    await files.reload()
    restamped = time.perf_counter() - started
    return {
        "first load": first,
        "reload, 1 file changed": one,
        "reload, nothing changed": none,
        "reload, every file rewritten with the same text": restamped,
    }


async def _decisions_during_full_reread(directory: Path, tmp: Path) -> tuple[int, float, list[float]]:
    """Decisions a live server answers while a reload re-reads every file (all stamps new).

    Returns how many were answered before the reload ended, the reload's seconds and each answer's time.
    (The reading thread shares the GIL with the event loop: answers slow down, they do not stop.)
    """
    settings = Settings(
        host="127.0.0.1", port=0, grpc_port=0, slo_dir=str(directory), db=str(tmp / "audit.db"),
        synthetic_fixtures=str(ROOT / "fixtures" / "metrics"), log_level="WARNING", slo_reload_interval=0,
    )  # fmt: skip
    server = Server(Application(settings))
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.http_port}", timeout=60) as client:
            while (await client.get("/readyz")).status_code != 200:  # noqa: ASYNC110 - every SLO evaluated once
                await asyncio.sleep(0.5)
            _touch(directory, "**/*.yaml")
            started = time.perf_counter()
            reload = asyncio.create_task(server.app.reload())
            answered, latencies = 0, []
            while not reload.done():
                asked = time.perf_counter()
                response = await client.post("/v1/gate/decision", json={"sloID": "slo-00001"})
                latencies.append(time.perf_counter() - asked)
                answered += response.status_code == 200 and not reload.done()
            await reload
            return answered, time.perf_counter() - started, latencies
    finally:
        await server.stop(grace=1.0)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10_000)
    _results.add_arguments(parser, "reload", "200 files")
    args = parser.parse_args()
    if args.smoke:
        args.files = 200
    with tempfile.TemporaryDirectory(prefix="aegis-bench-reload-") as tmp:
        directory = Path(tmp) / "slos"
        _write_files(directory, args.files)
        poll = _timed(lambda: find_spec_files(directory).fingerprint())
        print(f"{args.files} files: poll (scan + fingerprint) {poll * 1000:.0f} ms (< {TARGET_POLL} s)")
        timings = asyncio.run(_reloads(directory))
        for name, seconds in timings.items():
            print(f"{args.files} files: {name} {seconds:.2f} s")
        answered, seconds, latencies = asyncio.run(_decisions_during_full_reread(directory, Path(tmp)))
        print(
            f"{args.files} files: {answered} decisions answered during a {seconds:.1f} s full re-read "
            f"(median {statistics.median(latencies) * 1000:.0f} ms, slowest {max(latencies) * 1000:.0f} ms)"
        )
    ok = poll < TARGET_POLL and timings["reload, 1 file changed"] < TARGET_ONE_FILE and answered > 0
    print("OK" if ok else "MISSED")
    figures = {
        "files": args.files,
        "poll_seconds": poll,
        "reload_seconds": timings,
        "answered": answered,
        "met": ok,
    }
    _results.write(args.output, "reload", args.smoke, {**figures, "met": ok})
    return 0 if ok or args.smoke else 1


if __name__ == "__main__":
    raise SystemExit(main())
