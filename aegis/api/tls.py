"""TLS for both ports from one set of PEM files, checked once before anything listens.

``--tls-cert``/``--tls-key`` serve gRPC and REST over TLS; ``--tls-client-ca`` also requires and
verifies a client certificate signed by that CA on both. The files are read and checked with
Python's ssl module at start-up (does the key match the certificate? is the CA a CA bundle?), so a
mistake is one line naming the file instead of a listener that dies on its first handshake.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import grpc

from aegis.app import ConfigurationError
from aegis.config import Settings

__all__ = ["TlsMaterial", "load_tls"]


@dataclass(frozen=True)
class TlsMaterial:
    cert_file: str
    key_file: str
    client_ca_file: str | None
    cert_pem: bytes
    key_pem: bytes
    client_ca_pem: bytes | None

    @property
    def requires_client_cert(self) -> bool:
        return self.client_ca_pem is not None

    def grpc_credentials(self) -> grpc.ServerCredentials:
        return grpc.ssl_server_credentials(
            [(self.key_pem, self.cert_pem)],
            root_certificates=self.client_ca_pem,
            require_client_auth=self.requires_client_cert,
        )

    def ssl_context(self) -> ssl.SSLContext:
        """The REST listener's context: TLS 1.2 or later, client certificates when asked."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert_file, self.key_file)
        if self.client_ca_file is not None:
            context.load_verify_locations(cafile=self.client_ca_file)
            context.verify_mode = ssl.CERT_REQUIRED
        return context


def load_tls(settings: Settings) -> TlsMaterial | None:
    """The TLS material the settings name, checked; None for plaintext; ConfigurationError if bad."""
    if settings.tls_cert is None and settings.tls_key is None:
        if settings.tls_client_ca is not None:
            raise ConfigurationError("--tls-client-ca needs --tls-cert and --tls-key")
        return None
    if settings.tls_cert is None or settings.tls_key is None:
        raise ConfigurationError("--tls-cert and --tls-key go together")
    material = TlsMaterial(
        cert_file=settings.tls_cert,
        key_file=settings.tls_key,
        client_ca_file=settings.tls_client_ca,
        cert_pem=_read(settings.tls_cert, "--tls-cert"),
        key_pem=_read(settings.tls_key, "--tls-key"),
        client_ca_pem=_read(settings.tls_client_ca, "--tls-client-ca") if settings.tls_client_ca else None,
    )
    try:
        material.ssl_context()
    except ssl.SSLError as err:
        raise ConfigurationError(
            f"cannot use --tls-cert {settings.tls_cert} with --tls-key {settings.tls_key}"
            f"{' and --tls-client-ca ' + settings.tls_client_ca if settings.tls_client_ca else ''}: "
            f"{err.reason or err}"
        ) from None
    return material


def _read(path: str, flag: str) -> bytes:
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise ConfigurationError(f"{flag} {path}: {err.strerror or err}") from None
    if b"-----BEGIN" not in data:
        raise ConfigurationError(f"{flag} {path}: not a PEM file (no -----BEGIN line)")
    return data
