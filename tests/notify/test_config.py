"""--notifications-file: what loads, and a clear error naming file and field for what does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from aegis.notify.config import NotificationsConfig, NotificationsConfigError


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "notifications.yaml"
    path.write_text(text)
    return path


def test_config_loads_the_documented_example(tmp_path: Path) -> None:
    (tmp_path / "hook-secret").write_text("s3cret\n")
    path = _write(
        tmp_path,
        """
webhooks:
  - url: https://hooks.example.com/aegis
    name: chatops
    secretFile: hook-secret
    timeout: 5s
    retries: 3
    backoff: 0.5
    queueSize: 100
  - url: http://10.0.0.7:8080/deploys
alertmanager:
  urls: [http://alertmanager-0:9093/, http://alertmanager-1:9093]
  timeout: 10s
  resendInterval: 1m
  labels: {team: payments}
""",
    )
    config = NotificationsConfig.load(path)
    chatops, plain = config.webhooks
    assert (chatops.name, chatops.secret, chatops.timeout, chatops.retries) == ("chatops", b"s3cret", 5.0, 3)
    assert (chatops.backoff, chatops.queue_size) == (0.5, 100)
    assert (plain.name, plain.secret, plain.retries, plain.timeout) == ("10.0.0.7:8080", None, 3, 5.0)
    assert config.alertmanager is not None
    assert config.alertmanager.urls == ("http://alertmanager-0:9093", "http://alertmanager-1:9093")
    assert (config.alertmanager.timeout, config.alertmanager.resend_interval) == (10.0, 60.0)
    assert config.alertmanager.labels == {"team": "payments"}
    assert "s3cret" not in repr(config)


def test_config_an_empty_file_notifies_nobody(tmp_path: Path) -> None:
    assert NotificationsConfig.load(_write(tmp_path, "")) == NotificationsConfig()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("webhooks: [{url: ftp://x}]", "webhooks[0].url: expected an http(s) URL, got 'ftp://x'"),
        ("webhooks: [{url: http://x, retries: -1}]", "webhooks[0].retries: expected an integer >= 0, got -1"),
        ("webhooks: [{url: http://x, timeout: soon}]", "webhooks[0].timeout: expected a positive duration"),
        ("webhooks: [{url: http://x, secretFile: nope}]", "webhooks[0].secretFile: cannot read"),
        ("webhooks: [{url: http://x, sekret: y}]", "webhooks[0]: unknown key 'sekret'"),
        ("webhooks: [{url: http://a/1}, {url: http://a/2}]", "two webhooks are named 'a'"),
        ("webhooks: {url: http://x}", "webhooks: expected a list, got dict"),
        ("alertmanager: {urls: []}", "alertmanager.urls: expected a non-empty list"),
        ("alertmanager: {urls: [http://am], labels: {bad-name: x}}", "alertmanager.labels: expected a map"),
        ("alertmanager: {url: http://am}", "alertmanager: unknown key 'url'"),
        ("slack: {}", "the top level: unknown key 'slack'"),
        ("webhooks: [\n  - url: http://x\n   bad", "not valid YAML: line"),
    ],
)
def test_config_errors_name_the_file_and_the_field(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(NotificationsConfigError) as raised:
        NotificationsConfig.load(path)
    assert str(raised.value).startswith(f"{path}: ")
    assert message in str(raised.value)


def test_config_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(NotificationsConfigError, match=r"missing\.yaml: cannot read: No such file"):
        NotificationsConfig.load(tmp_path / "missing.yaml")
