"""The manifests and the chart validate with the real kubeconform and helm, against Kubernetes' schemas.

deploy/kubernetes/ and `helm template` of deploy/helm/aegis-slo, with the defaults and with each
optional part switched on, pass kubeconform -strict (unknown fields are errors) for the oldest and
the newest Kubernetes the Makefile names; `helm lint --strict` passes; the plain manifests are the
chart's output; and values that would deploy something broken are refused with one clear line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.deploy._k8s import (
    CHART,
    MANIFEST_VALUES,
    MANIFESTS,
    ROOT,
    helm,
    rendered,
    run_kubeconform,
    schema_versions,
    template,
)

pytestmark = pytest.mark.external  # the real helm and kubeconform

VERSIONS = schema_versions()
# Values files exercising every optional part of the chart; each must render and validate.
VARIANTS: dict[str, list[str]] = {
    "defaults": [],
    "manifests": ["--values", str(MANIFEST_VALUES)],
    "tls-and-client-ca": [
        "--set", "tls.enabled=true", "--set", "tls.secretName=aegis-tls", "--set", "tls.clientCA=true",
        "--set-json", 'probes.liveness={"tcpSocket":{"port":"rest"}}',
        "--set-json", 'probes.readiness={"tcpSocket":{"port":"rest"}}',
    ],
    "sqlite-one-replica": [
        "--set", "replicaCount=1", "--set", "database.existingSecret=",
        "--set", "sqlite.existingClaim=aegis-data",
    ],
    "url-and-existing-secrets": [
        "--set", "database.existingSecret=", "--set", "database.url=postgresql+psycopg://aegis@pg/aegis",
        "--set", "apiKeys.existingSecret=aegis-keys", "--set", "backendCredentials.existingSecret=creds",
        "--set", "slos.existingConfigMap=my-slos", "--set", "podDisruptionBudget.enabled=false",
        "--set", "serviceAccount.create=false", "--set", "topologySpread=false",
        "--set", "server.auditRetention=90d", "--set", "server.extraArgs={--max-connections=512}",
    ],
}  # fmt: skip


def _helm_template(flags: list[str]) -> str:
    result = subprocess.run(
        [helm(), "template", "aegis-slo", str(CHART), *flags],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("version", VERSIONS)
def test_plain_manifests_validate(version: str) -> None:
    files = sorted(MANIFESTS.glob("*.yaml"))
    assert len(files) >= 7, files
    result = run_kubeconform(version, *files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Invalid: 0, Errors: 0, Skipped: 0" in result.stdout, result.stdout


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_chart_output_validates(variant: str, version: str) -> None:
    result = run_kubeconform(version, "-", stdin=_helm_template(VARIANTS[variant]))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Invalid: 0, Errors: 0, Skipped: 0" in result.stdout, result.stdout


def test_kubeconform_rejects_what_kubernetes_would() -> None:
    """The validator is real: a typo'd field and a wrong type fail, and an unknown kind is an error."""
    deployment = (MANIFESTS / "deployment.yaml").read_text()
    broken = deployment.replace("readOnlyRootFilesystem:", "readOnlyRootFileSystem:", 1)
    broken = broken.replace("containerPort: 8080", 'containerPort: "8080"', 1)
    assert broken.count("readOnlyRootFileSystem") == 1 and '"8080"' in broken
    result = run_kubeconform(VERSIONS[-1], "-", stdin=broken)
    assert result.returncode == 1
    assert "readOnlyRootFileSystem" in result.stdout and "containerPort" in result.stdout, result.stdout
    unknown = "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\n"
    result = run_kubeconform(VERSIONS[-1], "-", stdin=unknown)
    assert result.returncode == 1 and "could not find schema for Gadget" in result.stdout, result.stdout


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_helm_lint_strict(variant: str) -> None:
    """Lint renders NOTES.txt too, which `helm template` leaves out."""
    result = subprocess.run(
        [helm(), "lint", "--strict", str(CHART), *VARIANTS[variant]],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 chart(s) linted, 0 chart(s) failed" in result.stdout


def test_plain_manifests_are_the_charts_output() -> None:
    found = Path(helm()).parent  # the render needs it: a clear skip or failure when it is missing
    result = subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "render_manifests.py"), "--check"],
        capture_output=True, text=True, timeout=180, check=False,
        env={**os.environ, "PATH": f"{found}:{os.environ.get('PATH', '')}"},
    )  # fmt: skip
    assert (result.returncode, result.stderr) == (0, "")


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        (["database.existingSecret="], "replicaCount > 1 needs a shared database"),
        (
            ["database.url=postgresql+psycopg://x@y/z"],
            "set database.url or database.existingSecret, not both",
        ),
        (["tls.enabled=true"], "tls.enabled needs tls.secretName"),
        (["tls.enabled=true", "tls.secretName=t", "tls.clientCA=true"], "tls.clientCA needs probes.liveness"),
        (["backends[0].name=prometheus"], "backends needs one named default"),
    ],
)
def test_chart_refuses_values_that_would_deploy_something_broken(sets: list[str], message: str) -> None:
    result = template(sets=sets)
    assert result.returncode == 1
    assert message in result.stderr, result.stderr


def test_every_optional_part_renders_where_it_should() -> None:
    kinds = {(o["kind"], o["metadata"]["name"]) for o in rendered(MANIFEST_VALUES)}
    assert kinds == {
        ("ServiceAccount", "aegis-slo"),
        ("ConfigMap", "aegis-slo-slos"),
        ("ConfigMap", "aegis-slo-backends"),
        ("Secret", "aegis-slo-backend-credentials"),
        ("Secret", "aegis-slo-api-keys"),
        ("Service", "aegis-slo"),
        ("Deployment", "aegis-slo"),
        ("PodDisruptionBudget", "aegis-slo"),
    }


def test_manifest_values_file_is_not_a_manifest() -> None:
    """`kubectl apply -f deploy/kubernetes/` must find nothing but Kubernetes objects there."""
    assert not list(MANIFESTS.glob("values*.yaml"))
    assert Path(MANIFEST_VALUES).parent != MANIFESTS


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        (["replicaCont=2"], "additional properties 'replicaCont' not allowed"),
        (["backends[0].name=default", "backends[0].url=http://p:9090", "backends[0].bearerTokenFle=t"],
         "additional properties 'bearerTokenFle' not allowed"),
        (["apiKeys.keys[0].name=ci", "apiKeys.keys[0].sha256=abc", "apiKeys.keys[0].scopes={gate}"],
         "sha256"),
        (["server.logFormat=yaml"], "logFormat"),
    ],
)  # fmt: skip
def test_values_schema_refuses_typos(sets: list[str], message: str) -> None:
    result = template(sets=sets)
    assert result.returncode == 1
    assert message in result.stderr, result.stderr


def test_values_schema_knows_what_the_server_knows() -> None:
    """The schema's backend fields and API key scopes are the loaders' own, no more, no fewer."""
    from aegis.auth import SCOPES
    from aegis.metrics import backends_file

    schema = json.loads((CHART / "values.schema.json").read_text())["properties"]
    backend = schema["backends"]["items"]["properties"]
    assert set(backend) == {*backends_file._PROMETHEUS, *backends_file._SYNTHETIC}
    assert set(backend["basicAuth"]["properties"]) == set(backends_file._BASIC_AUTH)
    key = schema["apiKeys"]["properties"]["keys"]["items"]["properties"]
    assert set(key["scopes"]["items"]["enum"]) == set(SCOPES)


def test_chart_and_manifests_deploy_this_version() -> None:
    from aegis import __version__

    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["appVersion"] == __version__
    assert yaml.safe_load(MANIFEST_VALUES.read_text())["image"]["tag"] == __version__
