"""aegis-server's notification and retention options: parsed, and refused in one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from aegis.cli.server import parse_settings
from tests.conftest import ROOT


def test_server_options_parse_retention_and_the_notifications_file() -> None:
    settings = parse_settings(["--audit-retention", "90d", "--notifications-file", "n.yaml"], {})
    assert settings.audit_retention == 90 * 86400
    assert settings.notifications_file == "n.yaml"
    from_env = parse_settings([], {"AUDIT_RETENTION": "12w", "NOTIFICATIONS_FILE": "m.yaml"})
    assert (from_env.audit_retention, from_env.notifications_file) == (12 * 7 * 86400, "m.yaml")
    assert parse_settings([], {}).audit_retention is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--audit-retention", "90 days"], "--audit-retention (AUDIT_RETENTION) must be a duration like 90d"),
        (["--audit-retention", "0d"], "--audit-retention (AUDIT_RETENTION) must be a duration like 90d"),
        (["--notifications-file", "/nonexistent/n.yaml"], "/nonexistent/n.yaml: cannot read"),
    ],
)
def test_server_options_bad_values_are_one_clear_line(args: list[str], message: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "aegis.cli.server", "--db", str(tmp_path / "a.db"), *args],
        capture_output=True, text=True, timeout=60, cwd=ROOT, env=dict(os.environ),
    )  # fmt: skip
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_server_options_a_bad_notifications_field_names_the_field(tmp_path: Path) -> None:
    config = tmp_path / "n.yaml"
    config.write_text("webhooks:\n  - url: not-a-url\n")
    result = subprocess.run(
        [sys.executable, "-m", "aegis.cli.server", "--db", str(tmp_path / "a.db"),
         "--notifications-file", str(config)],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"aegis-server: error: {config}: webhooks[0].url: expected an http(s) URL, got 'not-a-url'"
    )


def test_server_options_recorded_series_by_flag_or_variable() -> None:
    def recorded(argv: list[str], env: dict[str, str]) -> object:
        settings = parse_settings(
            ["--adapter", "prometheus", "--prometheus-url", "http://p:9090", *argv], env
        )
        return settings.prometheus_options["recorded_series"]

    assert recorded([], {}) is False
    assert recorded(["--prometheus-recorded-series"], {}) is True
    assert recorded([], {"PROMETHEUS_RECORDED_SERIES": "true"}) is True
