"""The clients' TLS and API-key options against real TLS listeners serving the production handlers.

The server has no TLS or API keys of its own yet, so this test builds what it will have: the
production servicers and request pipeline behind a TLS port (gRPC) and an https uvicorn (REST),
with a bearer-key interceptor in the pipeline. Certificates come from trustme (a throwaway CA,
a server certificate for "localhost" and a client certificate for mutual TLS).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
import trustme
import uvicorn
from google.protobuf.message import Message

from aegis.api.grpc_transport import generic_handlers
from aegis.api.pipeline import AbortError, CallContext, Handler, Pipeline
from aegis.api.server import build_bindings
from aegis.api.transcoder import build_rest_app
from aegis.client import (
    TLS,
    AegisClient,
    AsyncAegisClient,
    Decision,
    RestClient,
    UnauthenticatedError,
    UnavailableError,
)
from tests.conftest import LiveServer

KEY = "k-7f3a.tls-test"
LOGGER = logging.getLogger("tests.client.tls")


class BearerKey:
    """What the server's API-key interceptor will do: UNAUTHENTICATED unless the key is KEY."""

    async def intercept(self, request: Message, context: CallContext, proceed: Handler) -> Message:
        if context.metadata_value("authorization") != f"Bearer {KEY}":
            raise AbortError(grpc.StatusCode.UNAUTHENTICATED, "a valid API key is required")
        return await proceed(request, context)


@dataclass
class Secured:
    grpc_target: str
    rest_url: str
    ca: trustme.CA
    client_tls: TLS
    files: dict[str, Path]


@pytest.fixture
async def secured(live: LiveServer, tmp_path: Path) -> AsyncIterator[Secured]:
    ca = trustme.CA()
    server_cert = ca.issue_cert("localhost")
    client_cert = ca.issue_cert("deploy-pipeline")
    files = {
        "ca": tmp_path / "ca.pem",
        "server": tmp_path / "server.pem",
        "cert": tmp_path / "client.pem",
        "key": tmp_path / "client.key",
    }
    ca.cert_pem.write_to_path(str(files["ca"]))
    server_cert.private_key_and_cert_chain_pem.write_to_path(str(files["server"]))
    for blob in client_cert.cert_chain_pems:
        blob.write_to_path(str(files["cert"]), append=True)
    client_cert.private_key_pem.write_to_path(str(files["key"]))

    pipeline = Pipeline([BearerKey()], logger=LOGGER)
    bindings = build_bindings(live.app)
    grpc_server = grpc.aio.server()
    grpc_server.add_generic_rpc_handlers(generic_handlers(bindings, pipeline, LOGGER))
    credentials = grpc.ssl_server_credentials(
        [(server_cert.private_key_pem.bytes(), b"".join(b.bytes() for b in server_cert.cert_chain_pems))],
        root_certificates=ca.cert_pem.bytes(),
        require_client_auth=True,
    )
    grpc_port = grpc_server.add_secure_port("127.0.0.1:0", credentials)
    await grpc_server.start()

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    sock.setblocking(False)
    config = uvicorn.Config(
        build_rest_app(bindings, pipeline=pipeline, logger=LOGGER),
        log_level="warning",
        lifespan="off",
        ssl_certfile=str(files["server"]),
        ssl_ca_certs=str(files["ca"]),
        ssl_cert_reqs=ssl.CERT_REQUIRED,
    )
    rest_server = uvicorn.Server(config)
    serving = asyncio.create_task(rest_server.serve(sockets=[sock]))
    while not rest_server.started:
        assert not serving.done(), "the https server did not start"
        await asyncio.sleep(0.01)
    client_tls = TLS.from_files(files["ca"], files["cert"], files["key"])
    try:
        yield Secured(
            f"localhost:{grpc_port}", f"https://localhost:{sock.getsockname()[1]}", ca, client_tls, files
        )
    finally:
        rest_server.should_exit = True
        await serving
        await grpc_server.stop(0)


async def test_grpc_over_mutual_tls_with_an_api_key(secured: Secured) -> None:
    with AegisClient(secured.grpc_target, tls=secured.client_tls, api_key=KEY) as client:
        evaluation = await asyncio.to_thread(client.decide, "checkout-fast-burn")
    assert evaluation.decision is Decision.BLOCK
    async with AsyncAegisClient(secured.grpc_target, tls=secured.client_tls, api_key=KEY) as aio:
        assert (await aio.decide("api-availability")).decision is Decision.ALLOW


async def test_rest_over_mutual_tls_with_an_api_key(secured: Secured) -> None:
    with RestClient(secured.rest_url, tls=secured.client_tls, api_key=KEY) as client:
        evaluation = await asyncio.to_thread(client.decide, "billing-stale")
    assert evaluation.decision is Decision.WARN


@pytest.mark.parametrize("transport", ["grpc", "rest"])
async def test_a_missing_or_wrong_key_is_unauthenticated(secured: Secured, transport: str) -> None:
    for key in (None, "wrong-key"):
        client = (
            AegisClient(secured.grpc_target, tls=secured.client_tls, api_key=key)
            if transport == "grpc"
            else RestClient(secured.rest_url, tls=secured.client_tls, api_key=key)
        )
        with client, pytest.raises(UnauthenticatedError, match="API key"):
            await asyncio.to_thread(client.decide, "api-availability")


async def test_a_server_the_ca_did_not_sign_is_refused(secured: Secured) -> None:
    stranger = trustme.CA()
    untrusting = TLS(
        root_certificates=stranger.cert_pem.bytes(),
        certificate_chain=secured.client_tls.certificate_chain,
        private_key=secured.client_tls.private_key,
    )
    client = AegisClient(secured.grpc_target, tls=untrusting, api_key=KEY, timeout=2)
    with client, pytest.raises(UnavailableError):
        await asyncio.to_thread(client.decide, "api-availability")


def test_a_certificate_without_its_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="both"):
        TLS(certificate_chain=b"cert")
    with pytest.raises(ValueError, match="cannot read the TLS CA file"):
        TLS.from_files(tmp_path / "missing.pem")
