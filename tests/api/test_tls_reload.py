"""Certificate rotation without a restart: the TLS files are reloaded with everything else.

A live server on both ports; its certificate files are overwritten with ones from another CA (and
its client CA with another), then reloaded. New connections on both surfaces must get the new
material; a bad replacement must be refused, keeping the certificate in force.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import grpc
import httpx
from grpc_health.v1 import health_pb2

from aegis.api.server import Server
from aegis.app import Application
from tests._tls import Authority, Issued
from tests.api.test_tls import TlsServer, _grpc_credentials, _grpc_works, _health, _rest_context, _rest_works
from tests.conftest import default_settings, wait_ready


def _install(issued: Issued, cert: Path, key: Path) -> None:
    shutil.copyfile(issued.key, key)
    shutil.copyfile(issued.cert, cert)


async def _start(tmp: Path, client_ca: Authority | None) -> tuple[TlsServer, Path, Path]:
    first = Authority(tmp / "first", "first")
    cert, key = tmp / "server.pem", tmp / "server-key.pem"
    _install(first.server(), cert, key)
    clients = tmp / "clients-ca.pem"
    if client_ca is not None:
        shutil.copyfile(client_ca.cert, clients)
    settings = default_settings(
        tmp,
        tls_cert=str(cert),
        tls_key=str(key),
        tls_client_ca=str(clients) if client_ca else None,
        slo_reload_interval=0,
    )
    server = Server(Application(settings))
    await server.start()
    other = Authority(tmp / "other", "other")
    client = client_ca.client() if client_ca else None
    served = TlsServer(server, first, other, client, other.client("stranger"))
    context = _rest_context(first, client)
    async with httpx.AsyncClient(base_url=served.rest_url, verify=context, timeout=5) as rest:
        await wait_ready(rest)  # every SLO evaluated once
    async with grpc.aio.secure_channel(served.grpc_target, _grpc_credentials(first, client)) as channel:
        for _ in range(500):  # gRPC health follows /readyz within a moment
            if (await _health(channel)).status == health_pb2.HealthCheckResponse.SERVING:
                break
            await asyncio.sleep(0.02)
    return served, cert, key


async def test_tls_reload_rotates_the_server_certificate_on_both_surfaces(tmp_path: Path) -> None:
    served, cert, key = await _start(tmp_path, client_ca=None)
    try:
        assert await _grpc_works(served, served.ca, None)
        assert await _rest_works(served, served.ca, None)

        second = Authority(tmp_path / "second", "second")
        _install(second.server(), cert, key)
        assert (await served.server.app.reload())["tls"] == "changed"
        for works in (_grpc_works, _rest_works):
            assert await works(served, second, None), works.__name__
            assert not await works(served, served.ca, None), works.__name__

        # A key that does not match the certificate: refused whole, the second CA's certificate stays.
        shutil.copyfile(Authority(tmp_path / "third", "third").server().key, key)
        assert (await served.server.app.reload())["tls"] == "failed"
        reasons = (await _readyz(served, second))["reasons"]
        assert any(
            r.startswith("TLS files not reloaded, the certificate in force stays: cannot use")
            for r in reasons
        )
        assert await _grpc_works(served, second, None)
        assert await _rest_works(served, second, None)
    finally:
        await served.server.stop(grace=0.5)


async def test_tls_reload_replaces_the_client_ca(tmp_path: Path) -> None:
    old_clients = Authority(tmp_path / "old-clients", "old-clients")
    served, _, _ = await _start(tmp_path, client_ca=old_clients)
    try:
        old_client = served.client
        assert await _grpc_works(served, served.ca, old_client)
        new_clients = Authority(tmp_path / "new-clients", "new-clients")
        shutil.copyfile(new_clients.cert, tmp_path / "clients-ca.pem")
        assert (await served.server.app.reload())["tls"] == "changed"
        new_client = new_clients.client()
        for works in (_grpc_works, _rest_works):
            assert await works(served, served.ca, new_client), works.__name__
            assert not await works(served, served.ca, old_client), works.__name__
    finally:
        await served.server.stop(grace=0.5)


async def _readyz(served: TlsServer, trusted: Authority) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=served.rest_url, verify=_rest_context(trusted), timeout=5) as rest:
        body: dict[str, object] = (await rest.get("/readyz")).json()
    return body
