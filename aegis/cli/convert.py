"""``aegis convert FILE... [--output DIR|-]``: OpenSLO and Sloth files (or ours) in the documented format.

Every SLO the files define is written as an ``aegis.slo/v1`` document (``aegis.spec.document``):
the very model the server builds from the original, so the output validates and evaluates the
same. Nothing is written unless every file loads: the problems are printed as ``aegis validate``
prints them, and the exit code is 1. With ``--output DIR`` each SLO goes to ``DIR/<id>.yaml``;
with ``-`` (the default) all of them go to standard output as one multi-document YAML stream.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from aegis.cli._yaml_out import dump_yaml
from aegis.spec.document import aegis_document
from aegis.spec.loader import LoadResult, SpecDirectoryError, load_directory, load_file
from aegis.spec.model import SLO

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
FORMAT_NAMES = {"openslo/v1": "OpenSLO v1", "prometheus/v1": "Sloth prometheus/v1"}


def register(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subcommands.add_parser(
        "convert",
        help="turn OpenSLO and Sloth files into the AegisSLO format",
        description="Write every SLO of the given files (OpenSLO v1, Sloth prometheus/v1 or ours; a "
        "directory is read recursively) in the documented aegis.slo/v1 format. Nothing is written "
        "unless every file is valid.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="SLO files or directories to convert")
    parser.add_argument(
        "--output",
        "-o",
        default="-",
        metavar="DIR",
        help="directory to write <id>.yaml files into (created if missing); - for standard output (default)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    slos: list[SLO] = []
    problems = 0
    for name in args.files:
        path = Path(name)
        try:
            result = load_directory(path) if path.is_dir() else _load_one(path)
        except SpecDirectoryError as err:
            print(f"aegis convert: error: {err}", file=sys.stderr)
            return EXIT_USAGE
        for problem in result.problems:
            print(problem, file=sys.stderr)
        problems += len(result.problems)
        slos.extend(result.slos)
    if problems:
        print(f"aegis convert: nothing written: {problems} problem(s) to fix first", file=sys.stderr)
        return EXIT_PROBLEMS
    duplicates = sorted({s.id for s in slos if sum(1 for o in slos if o.id == s.id) > 1})
    if duplicates:
        print(f"aegis convert: nothing written: ids defined twice: {', '.join(duplicates)}", file=sys.stderr)
        return EXIT_PROBLEMS
    if args.output == "-":
        sys.stdout.write("".join(converted_text(slo) for slo in slos))
    else:
        _write_files(Path(args.output), slos)
    print(f"aegis convert: {len(slos)} SLO(s) written", file=sys.stderr)
    return EXIT_OK


def _load_one(path: Path) -> LoadResult:
    if not path.exists():
        raise SpecDirectoryError(f"{path}: no such file or directory")
    return load_file(path)


def _write_files(directory: Path, slos: list[SLO]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for slo in slos:
        # Ids are letters, digits, '.', '_' and '-' starting with a letter or digit: never a path.
        (directory / f"{slo.id}.yaml").write_text(converted_text(slo), encoding="utf-8")


def converted_text(slo: SLO) -> str:
    """One ``---`` document with a comment saying where it came from."""
    origin = FORMAT_NAMES.get(slo.api_version, slo.api_version)
    header = f"---\n# Converted by aegis convert from {slo.source_file} ({origin}).\n"
    return header + dump_yaml(aegis_document(slo))
