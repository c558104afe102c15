"""TLS on both ports, with and without client certificates, against CAs made on the fly.

Each case runs on both surfaces of one live server: gRPC (grpc.ssl_server_credentials) and REST
(uvicorn behind our accept loop), probes included.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from aegis.api.server import Server
from aegis.app import Application, ConfigurationError
from aegis.v1 import gate_pb2, gate_pb2_grpc
from tests._tls import Authority, Issued
from tests.conftest import default_settings


@dataclass
class TlsServer:
    server: Server
    ca: Authority
    other_ca: Authority
    client: Issued | None  # a client certificate the server accepts, when it asks for one
    foreign_client: Issued  # signed by a CA the server does not know

    @property
    def grpc_target(self) -> str:
        return f"127.0.0.1:{self.server.grpc_port}"

    @property
    def rest_url(self) -> str:
        return f"https://127.0.0.1:{self.server.http_port}"


async def _serve(tmp: Path, client_ca: bool) -> TlsServer:
    ca, other = Authority(tmp / "ca", "good"), Authority(tmp / "other", "other")
    issued = ca.server()
    clients_ca = Authority(tmp / "clients", "clients") if client_ca else None
    settings = default_settings(
        tmp,
        tls_cert=str(issued.cert),
        tls_key=str(issued.key),
        tls_client_ca=str(clients_ca.cert) if clients_ca else None,
    )
    server = Server(Application(settings))
    await server.start()
    client = clients_ca.client() if clients_ca else None
    served = TlsServer(server, ca, other, client, other.client("stranger"))
    async with grpc.aio.secure_channel(served.grpc_target, _grpc_credentials(ca, served.client)) as channel:
        for _ in range(500):  # ready once every SLO is evaluated; health mirrors it
            if (await _health(channel)).status == health_pb2.HealthCheckResponse.SERVING:
                break
            await asyncio.sleep(0.02)
    return served


async def _health(channel: grpc.aio.Channel) -> health_pb2.HealthCheckResponse:
    return await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)


@pytest.fixture(scope="module")
async def tls(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[TlsServer]:
    served = await _serve(tmp_path_factory.mktemp("tls"), client_ca=False)
    yield served
    await served.server.stop(grace=0.5)


@pytest.fixture(scope="module")
async def mtls(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[TlsServer]:
    served = await _serve(tmp_path_factory.mktemp("mtls"), client_ca=True)
    yield served
    await served.server.stop(grace=0.5)


def _rest_context(trusted: Authority, client: Issued | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(trusted.cert))
    if client is not None:
        context.load_cert_chain(str(client.cert), str(client.key))
    return context


def _grpc_credentials(trusted: Authority, client: Issued | None = None) -> grpc.ChannelCredentials:
    return grpc.ssl_channel_credentials(
        root_certificates=trusted.cert_pem,
        private_key=client.key_pem if client else None,
        certificate_chain=client.cert_pem if client else None,
    )


async def _grpc_works(served: TlsServer, trusted: Authority, client: Issued | None) -> bool:
    """True when health and Decide answer; False when the connection is refused."""
    async with grpc.aio.secure_channel(served.grpc_target, _grpc_credentials(trusted, client)) as channel:
        try:
            health = await _health(channel)
            decision = await gate_pb2_grpc.GateServiceStub(channel).Decide(
                gate_pb2.DecideRequest(slo_id="api-availability"), timeout=5
            )
        except grpc.aio.AioRpcError as err:
            assert err.code() == grpc.StatusCode.UNAVAILABLE, err
            return False
    assert health.status == health_pb2.HealthCheckResponse.SERVING
    assert decision.evaluation.slo_id == "api-availability"
    return True


async def _rest_works(served: TlsServer, trusted: Authority, client: Issued | None) -> bool:
    """True when the probes and an RPC answer over https; False when the handshake is refused."""
    context = _rest_context(trusted, client)
    async with httpx.AsyncClient(base_url=served.rest_url, verify=context, timeout=5) as rest:
        try:
            probes = [(await rest.get(path)).status_code for path in ("/healthz", "/readyz")]
            decision = await rest.post("/v1/gate/decision", json={"sloID": "api-availability"})
        except httpx.TransportError:
            return False
    assert probes == [200, 200]
    assert decision.status_code == 200
    return True


async def test_tls_client_trusting_the_ca_works_on_both_surfaces(tls: TlsServer) -> None:
    assert await _grpc_works(tls, tls.ca, None)
    assert await _rest_works(tls, tls.ca, None)


async def test_tls_client_trusting_another_ca_is_refused_on_both_surfaces(tls: TlsServer) -> None:
    assert not await _grpc_works(tls, tls.other_ca, None)
    assert not await _rest_works(tls, tls.other_ca, None)


async def test_tls_plaintext_clients_get_nothing(tls: TlsServer) -> None:
    async with grpc.aio.insecure_channel(tls.grpc_target) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{tls.server.http_port}", timeout=5) as rest:
        with pytest.raises(httpx.TransportError):
            await rest.get("/healthz")


async def test_mtls_client_with_a_certificate_from_the_client_ca_works(mtls: TlsServer) -> None:
    assert await _grpc_works(mtls, mtls.ca, mtls.client)
    assert await _rest_works(mtls, mtls.ca, mtls.client)


async def test_mtls_client_without_a_certificate_is_refused(mtls: TlsServer) -> None:
    assert not await _grpc_works(mtls, mtls.ca, None)
    assert not await _rest_works(mtls, mtls.ca, None)


async def test_mtls_client_with_a_certificate_from_another_ca_is_refused(
    mtls: TlsServer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        assert not await _grpc_works(mtls, mtls.ca, mtls.foreign_client)
        assert not await _rest_works(mtls, mtls.ca, mtls.foreign_client)
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR], "a quiet refusal"


def test_tls_key_that_does_not_match_the_certificate_is_one_clear_error(tmp_path: Path) -> None:
    ca = Authority(tmp_path / "ca", "good")
    first, second = ca.server("one"), ca.server("two")
    settings = default_settings(tmp_path, tls_cert=str(first.cert), tls_key=str(second.key))
    with pytest.raises(ConfigurationError) as caught:
        Server(Application(settings))
    assert str(first.cert) in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("flag", ["tls_cert", "tls_key", "tls_client_ca"])
def test_tls_unreadable_or_non_pem_file_names_the_flag(tmp_path: Path, flag: str) -> None:
    ca = Authority(tmp_path / "ca", "good")
    issued = ca.server()
    files = {"tls_cert": str(issued.cert), "tls_key": str(issued.key), "tls_client_ca": str(ca.cert)}
    (tmp_path / "not.pem").write_text("hello")
    files[flag] = str(tmp_path / ("not.pem" if flag != "tls_key" else "missing.pem"))
    with pytest.raises(ConfigurationError) as caught:
        Server(Application(default_settings(tmp_path, **files)))
    assert f"--{flag.replace('_', '-')}" in str(caught.value)
