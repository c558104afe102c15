"""PrometheusConfig: options in, clear errors out, secrets never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from aegis.metrics.prometheus_config import PrometheusConfig, parse_header, redact_url

URL = "http://prometheus:9090"


def test_config_from_options_builds_every_field(tmp_path: Path) -> None:
    password = tmp_path / "password"
    password.write_text("secret")
    config = PrometheusConfig.from_options(
        URL,
        {
            "headers": ("X-Scope-OrgID: team-a", "X-Extra:  spaced value "),
            "max_concurrency": 4,
            "timeout": 2,
            "evaluation_budget": 9.5,
            "bearer_token_file": None,
            "basic_auth_user": "aegis",
            "basic_auth_password_file": str(password),
            "ca_file": None,
            "recorded_series": True,
        },
    )
    assert config.recorded_series is True
    assert config.headers == (("X-Scope-OrgID", "team-a"), ("X-Extra", "spaced value"))
    assert (config.max_concurrency, config.query_timeout, config.evaluation_budget) == (4, 2.0, 9.5)
    assert (config.basic_auth_username, config.basic_auth_password_file) == ("aegis", str(password))


def test_config_from_options_defaults_when_nothing_is_given() -> None:
    assert PrometheusConfig.from_options(URL, {}) == PrometheusConfig(URL)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("X-Scope-OrgID team-a", "expected 'Name: value' (a colon is missing)"),
        (": value", "'' is not a valid header name"),
        ("Bad Name: x", "'Bad Name' is not a valid header name"),
    ],
)
def test_parse_header_rejects_malformed_text(text: str, words: str) -> None:
    with pytest.raises(ValueError, match="--prometheus-header") as caught:
        parse_header(text)
    assert words in str(caught.value)


def test_parse_header_keeps_colons_in_the_value() -> None:
    assert parse_header("Authorization: Basic a:b") == ("Authorization", "Basic a:b")


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"max_concurrency": 0}, "max_concurrency: expected a whole number >= 1, got 0"),
        ({"max_concurrency": "ten"}, "--prometheus-max-concurrency: expected a whole number"),
        ({"timeout": -1.0}, "query_timeout: expected a number of seconds > 0, got -1.0"),
        ({"timeout": "soon"}, "--prometheus-timeout: expected seconds"),
        ({"headers": "X-A: b"}, "expected a list of 'Name: value'"),
        (
            {"bearer_token_file": "/nonexistent/token"},
            "--prometheus-bearer-token-file: '/nonexistent/token' is not",
        ),
        ({"basic_auth_user": "aegis"}, "basic auth: user 'aegis' needs a password file"),
        ({"colour": "blue"}, "unknown Prometheus option(s) ['colour']"),
        ({"recorded_series": "yes"}, "--prometheus-recorded-series: expected true or false, got 'yes'"),
    ],
)
def test_config_from_options_rejects_bad_values(options: dict[str, object], words: str) -> None:
    with pytest.raises(ValueError) as caught:
        PrometheusConfig.from_options(URL, options)
    assert words in str(caught.value)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        (None, "needs a URL"),
        ("prometheus:9090", "expected http(s)://host[:port][/path]"),
        ("ftp://prometheus", "expected http(s)://"),
        ("http://prometheus:9090/?x=1", "must not carry a query string"),
        ("http://prometheus:99999", "Port out of range"),
    ],
)
def test_config_rejects_bad_urls(url: str | None, words: str) -> None:
    with pytest.raises(ValueError) as caught:
        PrometheusConfig.from_options(url, {})
    assert words in str(caught.value)


def test_config_rejects_conflicting_credentials(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("t")
    with pytest.raises(ValueError, match="either a bearer token file or basic auth"):
        PrometheusConfig(URL, bearer_token_file=str(token), basic_auth_username="u", basic_auth_password="p")
    with pytest.raises(ValueError, match="Authorization header conflicts"):
        PrometheusConfig(URL, bearer_token_file=str(token), headers=(("Authorization", "Bearer x"),))
    with pytest.raises(ValueError, match="password was given without a user name"):
        PrometheusConfig(URL, basic_auth_password="p")
    with pytest.raises(ValueError, match="URL carries user:password"):
        PrometheusConfig("http://u:p@prometheus:9090", bearer_token_file=str(token))


def test_config_repr_redacts_every_secret() -> None:
    in_url = PrometheusConfig(
        "https://user:hunter2@mimir.example/prometheus", headers=(("X-Scope-OrgID", "tenant-secret"),)
    )
    basic = PrometheusConfig(URL, basic_auth_username="aegis", basic_auth_password="hunter3")
    shown = repr(in_url) + str(in_url) + repr(basic)
    for secret in ("hunter2", "hunter3", "tenant-secret"):
        assert secret not in shown
    assert "https://user:***@mimir.example/prometheus" in shown
    assert "('X-Scope-OrgID', '***')" in shown


def test_redact_url_leaves_urls_without_password_alone() -> None:
    assert redact_url("http://user@host:9090/x") == "http://user@host:9090/x"
