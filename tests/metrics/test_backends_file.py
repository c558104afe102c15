"""``--backends-file``: what a good file gives, and one clear error (file, field, line) per mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from aegis.app import Application, ConfigurationError
from aegis.metrics.backends_file import BackendsFileError, load_backends_file
from tests.conftest import FIXTURES, default_settings


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    (tmp_path / "token").write_text("t0ken\n")
    (tmp_path / "password").write_text("pw\n")
    (tmp_path / "ca.pem").write_text("not checked until a connection is made\n")
    return tmp_path


def write(directory: Path, text: str) -> Path:
    path = directory / "backends.yaml"
    path.write_text(text)
    return path


def test_backends_file_every_field_is_read(config_dir: Path) -> None:
    path = write(
        config_dir,
        f"""\
backends:
  - name: victoria
    url: http://victoria-metrics:8428
    maxConcurrency: 20
    timeout: 5s
    evaluationBudget: 45
    timeAlignment: 0
    recordedSeries: true
  - name: mimir
    type: prometheus
    url: https://mimir.example.com/prometheus
    headers: {{X-Scope-OrgID: team-a}}
    bearerTokenFile: token
    caFile: {config_dir / "ca.pem"}
  - name: thanos
    url: http://thanos:9090
    basicAuth: {{username: aegis, passwordFile: password}}
  - name: demo
    type: synthetic
    fixtures: {FIXTURES / "metrics"}
""",
    )
    victoria, mimir, thanos, demo = load_backends_file(path)

    assert (victoria.name, victoria.type) == ("victoria", "prometheus")
    assert victoria.prometheus is not None
    assert victoria.prometheus.url == "http://victoria-metrics:8428"
    assert victoria.prometheus.max_concurrency == 20
    assert victoria.prometheus.query_timeout == 5.0
    assert victoria.prometheus.evaluation_budget == 45.0
    assert victoria.prometheus.recorded_series is True
    assert victoria.prometheus.time_alignment == 0.0
    assert mimir.prometheus is not None
    assert mimir.prometheus.headers == (("X-Scope-OrgID", "team-a"),)
    assert mimir.prometheus.bearer_token_file == str(config_dir / "token")  # relative to the file
    assert mimir.prometheus.ca_file == str(config_dir / "ca.pem")
    assert "team-a" not in repr(mimir.prometheus)
    assert thanos.prometheus is not None
    assert thanos.prometheus.basic_auth_username == "aegis"
    assert thanos.prometheus.basic_auth_password_file == str(config_dir / "password")
    assert (demo.type, demo.fixtures, demo.prometheus) == ("synthetic", str(FIXTURES / "metrics"), None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("backends: nope\n", "backends.yaml: expected a mapping with one field, backends"),
        ("backends:\n  - {name: a, url: http://x, timout: 5s}\n", "backends[0].timout: unknown field for a "
         "prometheus backend; did you mean 'timeout'? (line 2)"),
        ("backends:\n  - {name: a, type: influx}\n",
         "backends[0].type: expected prometheus or synthetic, found 'influx' (line 2)"),
        ("backends:\n  - {name: 'a b', url: http://x}\n", "backends[0].name: expected a name of 1 to 64"),
        ("backends:\n  - {name: a, url: http://x}\n  - {name: a, url: http://y}\n",
         "backends[1].name: two backends are named 'a' (line 3)"),
        ("backends:\n  - {name: a}\n", "backends[0].url: expected the URL of a Prometheus HTTP API"),
        ("backends:\n  - {name: a, url: 'ftp://x'}\n", "backends[0]: Prometheus URL 'ftp://x': expected http(s)://"),
        ("backends:\n  - {name: a, url: http://x, bearerTokenFile: missing}\n",
         "backends[0].bearerTokenFile: expected a readable file, found nothing usable at"),
        ("backends:\n  - {name: a, url: http://x, basicAuth: {username: u}}\n",
         "backends[0].basicAuth: expected username and passwordFile"),
        ("backends:\n  - {name: a, url: http://x, timeout: fast}\n",
         "backends[0].timeout: expected seconds (more than 0) or a duration like 10s or 1m, found 'fast'"),
        ("backends:\n  - {name: a, url: http://x, timeout: 0}\n",
         "backends[0].timeout: expected seconds (more"),
        ("backends:\n  - {name: a, url: http://x, recordedSeries: 'yes'}\n",
         "backends[0].recordedSeries: expected true or false"),
        ("backends:\n  - {name: a, url: http://x, maxConcurrency: 0}\n",
         "backends[0].maxConcurrency: expected a whole number of queries from 1 to 1000"),
        ("backends:\n  - {name: a, url: http://x, headers: {X-Tenant: 1}}\n",
         "backends[0].headers: expected a mapping of header names to text values"),
        ("backends:\n  - {name: a, url: http://x, headers: {'X Tenant': a}}\n", "is not a valid header name"),
        ("backends:\n  - name: a\n    url: http://x\n    bearerTokenFile: token\n"
         "    basicAuth: {username: u, passwordFile: password}\n",
         "backends[0]: use either a bearer token file or basic auth, not both (line 2)"),
        ("backends:\n  - {name: a, type: synthetic, url: http://x}\n",
         "backends[0].url: unknown field for a synthetic backend"),
        ("backends:\n  - {name: a, type: synthetic, fixtures: nowhere}\n",
         "backends[0].fixtures: expected a readable directory"),
        ("backends:\n  - {name: a, url: http://x}\n  - {name: a, url: http://x\n", "invalid YAML at line 4"),
        ("backends:\n  - name: a\n    name: b\n    url: http://x\n", "duplicate key"),
    ],
)  # fmt: skip
def test_backends_file_mistakes_are_one_clear_error(config_dir: Path, text: str, expected: str) -> None:
    path = write(config_dir, text)
    with pytest.raises(BackendsFileError) as caught:
        load_backends_file(path)
    message = str(caught.value)
    assert message.startswith(str(path)), message
    assert expected in message, message
    assert "\n" not in message


def test_backends_file_a_secret_is_never_in_an_error(config_dir: Path) -> None:
    path = write(
        config_dir, "backends:\n  - {name: a, url: 'http://user:s3cret@x:9090', bearerTokenFile: token}\n"
    )
    with pytest.raises(BackendsFileError) as caught:
        load_backends_file(path)
    assert "s3cret" not in str(caught.value)
    assert "the Prometheus URL carries user:password" in str(caught.value)


def test_backends_file_cannot_redefine_the_default_of_adapter_prometheus(tmp_path: Path) -> None:
    path = write(tmp_path, "backends:\n  - {name: default, url: http://elsewhere:9090}\n")
    flags = default_settings(
        tmp_path, adapter="prometheus", prometheus_url="http://prometheus:9090", backends_file=str(path)
    )
    with pytest.raises(ConfigurationError, match="defines a backend named 'default', and so does --adapter"):
        Application(flags)


async def test_backends_file_may_define_the_default_when_the_flags_do_not(tmp_path: Path) -> None:
    path = write(
        tmp_path, "backends:\n  - {name: default, url: http://prometheus:9090, evaluationBudget: 100}\n"
    )
    app = Application(default_settings(tmp_path, backends_file=str(path)))
    try:
        assert app.backends.names == ("default",)
        spec = app.backends.specs["default"]
        assert spec.prometheus is not None and spec.prometheus.url == "http://prometheus:9090"
        # The evaluator's hard limit leaves the longest backend budget room for its retries.
        assert app.evaluator.timeout == 115.0
    finally:
        await app.adapter.aclose()
        await app.store.aclose()
