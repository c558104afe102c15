"""Headers, credentials and TLS as the server sees them (through a recording proxy)."""

from __future__ import annotations

import base64
import logging
import ssl
import subprocess
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aegis.engine.policy import evaluate
from aegis.metrics.prometheus import PrometheusAdapter
from aegis.spec.model import Decision
from tests._prometheus import ServerProcess
from tests._requirements import require_binary
from tests.metrics._faultproxy import FaultProxy
from tests.metrics._scenarios import availability_slo, fast_config

pytestmark = pytest.mark.prometheus
SLO = availability_slo("healthy")


async def _decide(adapter: PrometheusAdapter, at: datetime | None = None) -> Decision:
    measurement = await adapter.measure(SLO, SLO.windows, at or datetime.now(UTC))
    return evaluate(SLO, measurement, evaluation_id=str(uuid.uuid4()), now=datetime.now(UTC)).decision


async def test_prometheus_sends_tenant_header_and_rotating_bearer_token(
    make_adapter: Callable[..., PrometheusAdapter], proxy: FaultProxy, tmp_path: Path
) -> None:
    token = tmp_path / "token"
    token.write_text("first-token\n")
    config = fast_config(proxy.url, headers=(("X-Scope-OrgID", "team-a"),), bearer_token_file=str(token))
    adapter = make_adapter(config)
    now = datetime.now(UTC)
    assert await _decide(adapter, now) is Decision.ALLOW
    token.write_text("second-token")
    assert await _decide(adapter, now + timedelta(minutes=1)) is Decision.ALLOW
    seen = [(r.headers["x-scope-orgid"], r.headers["authorization"]) for r in proxy.seen]
    assert seen == [("team-a", "Bearer first-token")] * 2 + [("team-a", "Bearer second-token")] * 2


async def test_prometheus_sends_basic_auth_from_a_password_file(
    make_adapter: Callable[..., PrometheusAdapter], proxy: FaultProxy, tmp_path: Path
) -> None:
    secret = tmp_path / "password"
    secret.write_text("pa:ss\n")
    adapter = make_adapter(
        fast_config(proxy.url, basic_auth_username="aegis", basic_auth_password_file=str(secret))
    )
    assert await _decide(adapter) is Decision.ALLOW
    expected = "Basic " + base64.b64encode(b"aegis:pa:ss").decode()
    assert {r.headers["authorization"] for r in proxy.seen} == {expected}


async def test_prometheus_unreadable_token_file_is_a_warn_without_requests(
    make_adapter: Callable[..., PrometheusAdapter], proxy: FaultProxy, tmp_path: Path
) -> None:
    token = tmp_path / "token"
    adapter = make_adapter(fast_config(proxy.url, bearer_token_file=str(token)))
    measurement = await adapter.measure(SLO, SLO.windows, datetime.now(UTC))
    errors = {s.error for s in measurement.windows.values()}
    assert len(errors) == 1 and "cannot read the bearer token file" in str(errors.pop())
    assert proxy.requests == adapter.requests_total == 0
    assert adapter.stats.retries_total == 0


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    openssl = require_binary("openssl", "/usr/bin/openssl")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subject = ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
    files = ["-keyout", str(key), "-out", str(cert)]
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", *subject, *files],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
async def tls_proxy(
    prometheus: ServerProcess, certificate: tuple[Path, Path]
) -> AsyncIterator[tuple[FaultProxy, Path]]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    proxy = await FaultProxy.start(prometheus.url, tls=context)
    yield proxy, certificate[0]
    await proxy.close()


async def test_prometheus_ca_file_verifies_a_private_certificate(
    make_adapter: Callable[..., PrometheusAdapter], tls_proxy: tuple[FaultProxy, Path]
) -> None:
    proxy, cert = tls_proxy
    trusted = make_adapter(fast_config(proxy.url, ca_file=str(cert)))
    assert await _decide(trusted) is Decision.ALLOW
    untrusted = make_adapter(fast_config(proxy.url, max_attempts=1))
    measurement = await untrusted.measure(SLO, SLO.windows, datetime.now(UTC))
    error = measurement.windows[SLO.burn_rate_rules[0].short_window].error
    assert error is not None and "CERTIFICATE_VERIFY_FAILED" in error


async def test_prometheus_password_in_the_url_becomes_basic_auth_and_is_never_logged(
    make_adapter: Callable[..., PrometheusAdapter], proxy: FaultProxy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url = proxy.url.replace("http://", "http://aegis:top%40secret@")
    adapter = make_adapter(fast_config(url))
    assert await _decide(adapter) is Decision.ALLOW
    expected = "Basic " + base64.b64encode(b"aegis:top@secret").decode()
    assert {r.headers["authorization"] for r in proxy.seen} == {expected}
    assert "secret" not in caplog.text and "secret" not in repr(adapter.config)
    assert "HTTP Request: POST" in caplog.text  # httpx did log the requests, without the password
