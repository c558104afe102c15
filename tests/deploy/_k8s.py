"""The real helm and kubeconform, the offline schemas, and the chart rendered as Python objects.

Both tools come from `make tools` (into .cache/bin, with Kubernetes' JSON schemas from the
kubernetes-validate wheel in .cache/kubernetes-json-schema, scripts/k8s_schemas.py). Without them a
developer's run skips; under CI=true it fails (tests/_requirements.py).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from tests._requirements import missing, require_binary

ROOT = Path(__file__).resolve().parent.parent.parent
TOOLS_BIN = ROOT / ".cache" / "bin"
SCHEMAS = ROOT / ".cache" / "kubernetes-json-schema"
CHART = ROOT / "deploy" / "helm" / "aegis-slo"
MANIFEST_VALUES = ROOT / "deploy" / "helm" / "values-manifests.yaml"
MANIFESTS = ROOT / "deploy" / "kubernetes"
RELEASE = "aegis-slo"


def helm() -> str:
    return require_binary("helm", str(TOOLS_BIN / "helm"))


def kubeconform() -> str:
    return require_binary("kubeconform", str(TOOLS_BIN / "kubeconform"))


def schema_versions() -> list[str]:
    """The Kubernetes versions the Makefile fetches schemas for (K8S_SCHEMA_VERSIONS)."""
    found = re.search(r"^K8S_SCHEMA_VERSIONS := (.+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert found, "the Makefile names the Kubernetes versions to validate against"
    return found[1].split()


def schema_location(version: str) -> str:
    folder = SCHEMAS / f"v{version}-local-strict"
    if not (folder / "deployment-apps-v1.json").is_file():
        missing(f"Kubernetes {version} JSON schemas are not in {folder} (make tools fetches them)")
    return str(
        SCHEMAS
        / "{{.NormalizedKubernetesVersion}}-local{{.StrictSuffix}}/{{.ResourceKind}}{{.KindSuffix}}.json"
    )


def run_kubeconform(
    version: str, *paths: str | Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """kubeconform -strict against the offline schemas; ``-`` reads ``stdin``. Nothing is skipped:
    a kind without a schema is an error, so a schema that fails to load cannot pass unnoticed."""
    command = [
        kubeconform(), "-strict", "-summary", "-output", "text",
        "-kubernetes-version", version, "-schema-location", schema_location(version),
        *map(str, paths),
    ]  # fmt: skip
    return subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=120, check=False)


def template(*values: Path, sets: Sequence[str] = ()) -> subprocess.CompletedProcess[str]:
    command = [helm(), "template", RELEASE, str(CHART)]
    for path in values:
        command += ["--values", str(path)]
    for assignment in sets:
        command += ["--set", assignment]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def documents(text: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


def rendered(*values: Path, sets: Sequence[str] = ()) -> list[dict[str, Any]]:
    result = template(*values, sets=sets)
    assert result.returncode == 0, result.stderr
    return documents(result.stdout)


def manifests() -> list[dict[str, Any]]:
    """Every object of deploy/kubernetes/*.yaml."""
    return [doc for path in sorted(MANIFESTS.glob("*.yaml")) for doc in documents(path.read_text())]


def one(objects: list[dict[str, Any]], kind: str, suffix: str = "") -> dict[str, Any]:
    """The object of ``kind`` whose name ends with ``suffix``; exactly one must exist."""
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"].endswith(suffix)]
    assert len(found) == 1, (
        f"expected one {kind} named *{suffix}, found {[o['metadata']['name'] for o in found]}"
    )
    return found[0]
