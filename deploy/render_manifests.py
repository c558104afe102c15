"""Render deploy/kubernetes/ from the Helm chart, so the plain manifests and the chart cannot drift.

    python deploy/render_manifests.py           # (re)write deploy/kubernetes/*.yaml (make manifests)
    python deploy/render_manifests.py --check   # exit 1, naming the files, when they are stale

The manifests are ``helm template`` of deploy/helm/aegis-slo with deploy/helm/values-manifests.yaml,
one file per chart template. ``helm`` is found on PATH or in .cache/bin (``make tools``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHART = ROOT / "deploy" / "helm" / "aegis-slo"
VALUES = ROOT / "deploy" / "helm" / "values-manifests.yaml"
OUT = ROOT / "deploy" / "kubernetes"
RELEASE = "aegis-slo"
HEADER = (
    "# Rendered by `make manifests` from deploy/helm/aegis-slo with deploy/helm/values-manifests.yaml:\n"
    "# edit those and re-render; a test fails when this file differs from the chart's output.\n"
)
SOURCE = re.compile(rf"^# Source: {re.escape(CHART.name)}/templates/(?P<name>[\w.-]+\.yaml)\n", re.MULTILINE)


def helm_binary() -> str:
    found = shutil.which("helm") or str(ROOT / ".cache" / "bin" / "helm")
    if not os.access(found, os.X_OK):
        raise SystemExit("render_manifests: helm is not installed (make tools puts it in .cache/bin)")
    return found


def rendered(helm: str) -> dict[str, str]:
    """File name -> content, one per chart template that renders anything."""
    result = subprocess.run(
        [helm, "template", RELEASE, str(CHART), "--values", str(VALUES)],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"render_manifests: helm template failed:\n{result.stderr}")
    files: dict[str, str] = {}
    for document in result.stdout.split("---\n"):
        match = SOURCE.search(document)
        if match is None:
            continue
        body = document[match.end() :].strip("\n")
        name = match["name"]
        files[name] = files.get(name, HEADER) + ("---\n" if name in files else "") + body + "\n"
    return files


def stale(files: dict[str, str]) -> list[str]:
    present = {path.name for path in OUT.glob("*.yaml")}
    changed = [
        name for name, text in files.items() if not (OUT / name).is_file() or (OUT / name).read_text() != text
    ]
    return sorted(changed + sorted(present - set(files)))


def main() -> int:
    parser = argparse.ArgumentParser(description="Render deploy/kubernetes/ from the Helm chart.")
    parser.add_argument("--check", action="store_true", help="only report stale files (exit 1 if any)")
    args = parser.parse_args()
    files = rendered(helm_binary())
    differing = stale(files)
    if args.check:
        if differing:
            print(f"deploy/kubernetes is stale ({', '.join(differing)}): run make manifests", file=sys.stderr)
            return 1
        return 0
    OUT.mkdir(exist_ok=True)
    for path in OUT.glob("*.yaml"):
        if path.name not in files:
            path.unlink()
    for name, text in files.items():
        (OUT / name).write_text(text)
    print(f"render_manifests: {len(files)} files in {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
