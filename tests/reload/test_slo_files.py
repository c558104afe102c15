"""Reloading an SLO directory: real files changed on disk, the catalog that results, and what is said.

Each decision of docs/operations.md#hot-reload has a test: added, changed and removed files, a file
that turns invalid (last good version kept), one removed while invalid, duplicate ids after a
change, an unknown backend, and a directory that vanishes or empties.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml

from aegis.reload import SLOFiles, keep_last_good
from aegis.scheduler import CatalogChange, CatalogEntry, SLOCatalog
from aegis.spec.loader import LoadResult, load_directory
from aegis.spec.problems import SpecProblem
from aegis.telemetry import Telemetry
from tests.spec.samples import valid_document

T = TypeVar("T")


async def inline(work: Callable[[], T]) -> T:
    """Run the blocking part where the test runs: results are there the moment reload returns."""
    return work()


def document(slo_id: str, **spec: Any) -> dict[str, Any]:
    """A valid SLO in the documented format; ``spec`` overrides fields of spec, ``sli`` of spec.sli."""
    doc = valid_document(slo_id)
    for query in ("good", "total"):  # a fixture with every window the rules need: ALLOW
        doc["spec"]["sli"][query]["prometheusQuery"] = "fixture:healthy-all-windows"
    sli = spec.pop("sli", {})
    doc["spec"].update(spec)
    doc["spec"]["sli"].update(sli)
    return doc


def write(directory: Path, name: str, *documents: dict[str, Any]) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump_all(documents, sort_keys=False), encoding="utf-8")
    return path


class Harness:
    def __init__(self, directory: Path, backends: tuple[str, ...] = ("default",)) -> None:
        self.directory = directory
        self.backends = backends
        self.catalog = SLOCatalog()
        self.telemetry = Telemetry()
        self.files = SLOFiles(
            str(directory),
            self.catalog,
            backends=lambda: self.backends,
            telemetry=self.telemetry,
            offload=inline,
        )

    def ids(self) -> list[str]:
        return sorted(self.catalog.entries)

    def load_error(self, slo_id: str) -> str | None:
        entry = self.catalog.entry(slo_id)
        assert entry is not None, slo_id
        return entry.load_error

    def metric(self, name: str) -> float | None:
        return self.telemetry.registry.get_sample_value(name)


@pytest.fixture
def slo_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "slos"
    write(directory, "a.yaml", document("alpha"))
    write(directory, "b.yaml", document("beta"))
    return directory


@pytest.fixture
def harness(slo_dir: Path) -> Harness:
    h = Harness(slo_dir)
    h.files.load_initial()
    return h


async def test_slo_files_added_changed_and_removed_files_take_effect(harness: Harness, slo_dir: Path) -> None:
    assert not await harness.files.changed()
    write(slo_dir, "team/c.yml", document("gamma"))
    write(slo_dir, "a.yaml", document("alpha", objective=0.99))
    (slo_dir / "b.yaml").unlink()
    assert await harness.files.changed()

    heard: list[CatalogChange] = []
    harness.catalog.subscribe(heard.append)
    assert await harness.files.reload() == "changed"

    assert harness.ids() == ["alpha", "gamma"]
    alpha = harness.catalog.get("alpha")
    assert alpha is not None and alpha.objective == 0.99
    assert [(c.added, c.changed, c.removed) for c in heard] == [(("gamma",), ("alpha",), ("beta",))]
    assert harness.catalog.problems == ()
    assert not await harness.files.changed()
    assert await harness.files.reload() == "unchanged"


async def test_slo_files_an_invalid_file_keeps_its_last_good_version_until_fixed(
    harness: Harness, slo_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    before = harness.catalog.get("alpha")
    (slo_dir / "a.yaml").write_text("apiVersion: aegis.slo/v1\nkind: SLO\nmetadata: {id: alpha\n")
    with caplog.at_level(logging.INFO):
        assert await harness.files.reload() == "unchanged"  # the same definitions are in force

    assert harness.ids() == ["alpha", "beta"]
    assert harness.catalog.get("alpha") == before
    error = harness.load_error("alpha")
    assert error is not None and error.startswith(f"{slo_dir / 'a.yaml'}: invalid YAML at line 4")
    assert harness.load_error("beta") is None
    assert [p.file for p in harness.catalog.problems] == [str(slo_dir / "a.yaml")]
    assert harness.metric("aegis_slo_load_errors") == 1
    assert harness.metric("aegis_slos_on_last_good_version") == 1
    messages = [r.getMessage() for r in caplog.records]
    assert sum("SLO file problem" in m and "a.yaml" in m for m in messages) == 1
    assert any("alpha" in m and "last good version stays in force" in m for m in messages)

    # A second reload with the file still broken says nothing new.
    caplog.clear()
    with caplog.at_level(logging.INFO):
        await harness.files.reload()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]

    write(slo_dir, "a.yaml", document("alpha", objective=0.95))
    assert await harness.files.reload() == "changed"
    assert harness.load_error("alpha") is None
    fixed = harness.catalog.get("alpha")
    assert fixed is not None and fixed.objective == 0.95
    assert harness.catalog.problems == ()
    assert harness.metric("aegis_slo_load_errors") == 0
    assert harness.metric("aegis_slos_on_last_good_version") == 0


async def test_slo_files_a_file_removed_while_invalid_takes_its_slos_away(
    harness: Harness, slo_dir: Path
) -> None:
    (slo_dir / "a.yaml").write_text("not: [valid")
    await harness.files.reload()
    assert harness.load_error("alpha") is not None
    (slo_dir / "a.yaml").unlink()
    assert await harness.files.reload() == "changed"
    assert harness.ids() == ["beta"]
    assert harness.catalog.problems == ()


async def test_slo_files_a_bad_document_keeps_its_slo_while_the_good_ones_in_the_file_change(
    harness: Harness, slo_dir: Path
) -> None:
    write(slo_dir, "multi.yaml", document("one"), document("two"))
    await harness.files.reload()
    broken = document("two", objective=99.5)  # a percentage where a fraction belongs
    write(slo_dir, "multi.yaml", document("one", objective=0.9), broken)
    await harness.files.reload()

    one, two = harness.catalog.entry("one"), harness.catalog.entry("two")
    assert one is not None and one.slo.objective == 0.9 and one.load_error is None
    assert two is not None and two.slo.objective == 0.999
    assert two.load_error is not None and "spec.objective" in two.load_error


async def test_slo_files_an_id_stays_with_the_file_that_holds_it(harness: Harness, slo_dir: Path) -> None:
    """A new file that sorts first and defines a running id does not take it over: it is the duplicate."""
    write(slo_dir, "0-new.yaml", document("beta", objective=0.5))
    await harness.files.reload()
    beta = harness.catalog.get("beta")
    assert beta is not None and beta.source_file == str(slo_dir / "b.yaml") and beta.objective == 0.999
    (problem,) = harness.catalog.problems
    assert problem.file == str(slo_dir / "0-new.yaml")
    assert f"duplicate id 'beta', already defined in {slo_dir / 'b.yaml'}:" in problem.message

    # Once the holder lets go of the id, the other file's definition takes effect.
    (slo_dir / "b.yaml").unlink()
    assert await harness.files.reload() == "changed"
    beta = harness.catalog.get("beta")
    assert beta is not None and beta.source_file == str(slo_dir / "0-new.yaml") and beta.objective == 0.5
    assert harness.catalog.problems == ()


async def test_slo_files_a_kept_last_good_version_holds_its_id_too(harness: Harness, slo_dir: Path) -> None:
    (slo_dir / "b.yaml").write_text("kind: [")
    write(slo_dir, "0-new.yaml", document("beta", objective=0.5))
    await harness.files.reload()
    entry = harness.catalog.entry("beta")
    assert entry is not None and entry.slo.source_file == str(slo_dir / "b.yaml") and entry.load_error
    duplicate = [p for p in harness.catalog.problems if p.file == str(slo_dir / "0-new.yaml")]
    assert [p.path for p in duplicate] == ["metadata.id"]
    assert "whose last good version stays in force" in duplicate[0].message


async def test_slo_files_an_unknown_backend_is_a_problem_of_that_file(
    harness: Harness, slo_dir: Path
) -> None:
    write(slo_dir, "c.yaml", document("gamma", sli={"backend": "victoria"}))
    write(slo_dir, "a.yaml", document("alpha", sli={"backend": "victora"}))
    await harness.files.reload()
    assert harness.ids() == ["alpha", "beta"]  # gamma never loaded; alpha keeps its last good version
    problems = {Path(p.file).name: p for p in harness.catalog.problems}
    assert problems["c.yaml"].path == "spec.sli.backend"
    assert "expected a configured metric backend ('default'), found 'victoria'" in problems["c.yaml"].message
    assert "(line " in problems["c.yaml"].message

    # The backend appears (the backends file was reloaded): the same files now load.
    harness.backends = ("default", "victoria")
    await harness.files.reload()
    gamma = harness.catalog.get("gamma")
    assert gamma is not None and gamma.sli.backend == "victoria"
    assert [Path(p.file).name for p in harness.catalog.problems] == ["a.yaml"]
    assert "did you mean 'victoria'?" in harness.catalog.problems[0].message


@pytest.mark.parametrize("how", ["removed", "renamed", "emptied"])
async def test_slo_files_a_vanished_or_empty_directory_keeps_everything_and_says_so(
    harness: Harness, slo_dir: Path, how: str, caplog: pytest.LogCaptureFixture
) -> None:
    saved = _vanish(slo_dir, how)
    with caplog.at_level(logging.ERROR):
        assert await harness.files.reload() == "failed"
        assert not await harness.files.changed()  # the same state is not reported again at each poll
    assert harness.ids() == ["alpha", "beta"]
    (problem,) = harness.catalog.problems
    assert problem.file == str(slo_dir)
    assert problem.message.endswith("serving the 2 SLO(s) loaded before")
    error = harness.load_error("alpha")
    assert error is not None and "this is the version loaded before" in error
    assert sum("serving the 2 SLO(s) loaded before" in r.getMessage() for r in caplog.records) == 1

    shutil.rmtree(slo_dir, ignore_errors=True)
    shutil.copytree(saved, slo_dir)
    assert await harness.files.changed()
    await harness.files.reload()
    assert harness.catalog.problems == ()
    assert harness.load_error("alpha") is None


async def test_slo_files_a_change_of_backends_parses_only_the_files_naming_them(tmp_path: Path) -> None:
    directory = tmp_path / "slos"
    for index in range(20):
        write(directory, f"slo-{index:02d}.yaml", document(f"slo-{index:02d}"))
    write(directory, "on-vm.yaml", document("on-vm", sli={"backend": "vm"}))
    harness = Harness(directory)
    harness.files.load_initial()
    assert "on-vm" not in harness.catalog

    harness.backends = ("default", "vm", "mimir")
    await harness.files.reload()
    assert "on-vm" in harness.catalog
    assert (harness.files.cache.parsed, harness.files.cache.reused) == (1, 20)

    harness.backends = ("default", "vm")  # mimir goes: no file names it
    await harness.files.reload()
    assert (harness.files.cache.parsed, harness.files.cache.reused) == (0, 21)


def _vanish(slo_dir: Path, how: str) -> Path:
    """Make the directory go away (or empty it); returns a copy to bring it back from."""
    saved = slo_dir.parent / "saved"
    shutil.copytree(slo_dir, saved)
    if how == "removed":
        shutil.rmtree(slo_dir)
    elif how == "renamed":
        slo_dir.rename(slo_dir.parent / "elsewhere")
    else:
        for file in slo_dir.iterdir():
            file.unlink()
    return saved


async def test_slo_files_a_reload_parses_only_the_files_that_changed(tmp_path: Path) -> None:
    directory = tmp_path / "many"
    for index in range(60):
        write(directory, f"team{index % 7}/slo-{index:03d}.yaml", document(f"slo-{index:03d}"))
    harness = Harness(directory)
    harness.files.load_initial()
    assert harness.files.cache.parsed == 60

    write(directory, "team3/slo-010.yaml", document("slo-010", objective=0.9))
    write(directory, "new.yaml", document("slo-new"))
    await harness.files.reload()
    assert (harness.files.cache.parsed, harness.files.cache.reused) == (2, 59)
    assert len(harness.catalog) == 61

    # Every file written anew with the same text (new stamps, as a ConfigMap update gives them):
    # read and compared, parsed again only where the text differs.
    for path in directory.rglob("*.yaml"):
        path.write_text(path.read_text())
    write(directory, "team1/slo-001.yaml", document("slo-001", objective=0.95))
    assert await harness.files.reload() == "changed"
    assert (harness.files.cache.parsed, harness.files.cache.reused) == (1, 60)


async def test_slo_files_a_configmap_update_is_seen(tmp_path: Path) -> None:
    """Kubernetes swaps the ``..data`` link to a new hidden directory; the visible links stay as they are."""
    directory = tmp_path / "mount"
    first = directory / "..2026_12_01_00_00_00.1"
    write(first, "api.yaml", document("api"))
    (directory / "..data").symlink_to(first.name)
    (directory / "api.yaml").symlink_to("..data/api.yaml")
    harness = Harness(directory)
    harness.files.load_initial()

    second = directory / "..2026_12_01_00_05_00.2"
    write(second, "api.yaml", document("api", objective=0.9))
    (directory / "..data_tmp").symlink_to(second.name)
    (directory / "..data_tmp").rename(directory / "..data")
    shutil.rmtree(first)

    assert await harness.files.changed()
    assert await harness.files.reload() == "changed"
    api = harness.catalog.get("api")
    assert api is not None and api.objective == 0.9


def test_keep_last_good_files_under_an_unreadable_directory_keep_their_slos(tmp_path: Path) -> None:
    """As root the tests cannot make a directory unreadable, so the rule is checked on the merge itself."""
    team = tmp_path / "team"
    write(team, "x.yaml", document("x-slo"))
    write(tmp_path, "y.yaml", document("y-slo"))
    before = load_directory(tmp_path)
    previous = {slo.id: CatalogEntry(slo) for slo in before.slos}
    now = LoadResult(
        slos=tuple(s for s in before.slos if s.id == "y-slo"),
        problems=(SpecProblem(str(team), "", "cannot read directory: Permission denied"),),
    )

    merged = keep_last_good(previous, now, unreadable=(team,))

    by_id = {entry.slo.id: entry for entry in merged.entries}
    assert set(by_id) == {"x-slo", "y-slo"}
    assert by_id["x-slo"].load_error == f"cannot read directory {team}"
    assert by_id["y-slo"].load_error is None
    assert merged.kept == ("x-slo",)
