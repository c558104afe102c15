"""The backends files that README's production section and docs/kubernetes.md show load as written.

Each ``# backends.yaml`` block goes through the server's own loader twice: as a file, the way
`--backends-file` reads it, and as the chart's ``backends`` value, rendered by the real helm into the
ConfigMap the pod mounts. The credential files the examples name are made where the pod would have
them (under a scratch root), empty, since only their presence is checked at load.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from aegis.metrics.backends_file import BackendSpec, load_backends_file
from tests.deploy._k8s import ROOT, one, rendered
from tests.deploy._pod import inside, relocated

pytestmark = pytest.mark.external  # the real helm and kubeconform

BLOCK = re.compile(r"```yaml\n(# backends\.yaml\n.*?)```", re.DOTALL)
SECTION = "\n## In production: Kubernetes\n"


def _readme_section() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index(SECTION)
    return text[start : text.index("\n## ", start + 1)]


EXAMPLES = {
    "README": BLOCK.findall(_readme_section()),
    "docs/kubernetes.md": BLOCK.findall((ROOT / "docs" / "kubernetes.md").read_text()),
}


def _load(root: Path, text: str) -> tuple[BackendSpec, ...]:
    """Write the pod's view of ``text`` under ``root`` (credential files included) and load it."""
    for path in re.findall(r"(/etc/aegis/credentials/[\w.-]+)", text):
        target = inside(root, path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("")
    file = root / "backends.yaml"
    file.write_text(relocated(root, text))
    return load_backends_file(file)


def _engines(specs: tuple[BackendSpec, ...]) -> set[str]:
    found = set()
    for spec in specs:
        assert spec.prometheus is not None
        url, headers = spec.prometheus.url, dict(spec.prometheus.headers)
        if url.endswith(":9090"):
            found.add("prometheus")
        if "thanos-query" in url:
            found.add("thanos")
        if url.endswith("/prometheus") and "X-Scope-OrgID" in headers:
            found.add("mimir")
        if re.search(r":8481/select/\d+(:\d+)?/prometheus$", url):
            found.add("victoriametrics-cluster")
    return found


def test_each_page_shows_one_backends_file_with_every_engine() -> None:
    for page, blocks in EXAMPLES.items():
        assert len(blocks) == 1, f"{page}: {len(blocks)} '# backends.yaml' blocks"


@pytest.mark.parametrize("page", sorted(EXAMPLES))
def test_backends_example_loads_with_the_servers_loader(page: str, tmp_path: Path) -> None:
    (text,) = EXAMPLES[page]
    specs = _load(tmp_path, text)
    assert specs[0].name == "default"
    assert _engines(specs) == {"prometheus", "thanos", "mimir", "victoriametrics-cluster"}
    mimir = next(s.prometheus for s in specs if s.name == "mimir")
    assert mimir is not None and mimir.bearer_token_file == str(
        inside(tmp_path, "/etc/aegis/credentials/mimir-token")
    )


@pytest.mark.parametrize("page", sorted(EXAMPLES))
def test_backends_example_is_the_charts_backends_value(page: str, tmp_path: Path) -> None:
    """The same list as chart values renders into a ConfigMap that loads to the same backends."""
    (text,) = EXAMPLES[page]
    values = tmp_path / "values.yaml"
    values.write_text(text)
    configmap = one(rendered(values), "ConfigMap", "-backends")
    through_chart = _load(tmp_path / "chart", configmap["data"]["backends.yaml"])
    direct = _load(tmp_path / "chart", text)
    assert through_chart == direct
    assert yaml.safe_load(configmap["data"]["backends.yaml"]) == yaml.safe_load(text)
