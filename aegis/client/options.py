"""How a client reaches the server: TLS material and the API key, for gRPC and REST alike.

The server reads the key from ``authorization: Bearer KEY`` metadata on gRPC and the
``Authorization`` header on REST (the transcoder forwards that header as metadata), so one
option covers both surfaces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import grpc

__all__ = ["TLS", "auth_metadata", "channel_options", "open_aio_channel", "open_channel"]

# RFC 6750's b64token: what may follow "Bearer " in a header without escaping.
_TOKEN = re.compile(r"[A-Za-z0-9._~+/-]+=*")


@dataclass(frozen=True)
class TLS:
    """TLS for the gRPC channel (or an https REST URL).

    ``root_certificates``: PEM of the CAs to trust (None: the system's). ``certificate_chain`` and
    ``private_key``: a client certificate, for servers that require mutual TLS. ``server_name``:
    the name to check the server's certificate against when it differs from the target's host.
    """

    root_certificates: bytes | None = None
    certificate_chain: bytes | None = None
    private_key: bytes | None = None
    server_name: str | None = None

    def __post_init__(self) -> None:
        if (self.certificate_chain is None) != (self.private_key is None):
            raise ValueError("a client certificate needs both the certificate chain and its private key")

    @classmethod
    def from_files(
        cls,
        ca_file: str | Path | None = None,
        cert_file: str | Path | None = None,
        key_file: str | Path | None = None,
        server_name: str | None = None,
    ) -> TLS:
        """PEM files, read once; a missing or unreadable file is a ValueError naming it."""
        return cls(_read(ca_file, "CA"), _read(cert_file, "certificate"), _read(key_file, "key"), server_name)

    def credentials(self) -> grpc.ChannelCredentials:
        return grpc.ssl_channel_credentials(
            root_certificates=self.root_certificates,
            private_key=self.private_key,
            certificate_chain=self.certificate_chain,
        )


def _read(path: str | Path | None, what: str) -> bytes | None:
    if path is None:
        return None
    try:
        return Path(path).read_bytes()
    except OSError as err:
        raise ValueError(f"cannot read the TLS {what} file {path}: {err.strerror or err}") from err


def auth_metadata(api_key: str | None) -> tuple[tuple[str, str], ...]:
    """``(("authorization", "Bearer KEY"),)``, or nothing without a key."""
    if api_key is None:
        return ()
    key = api_key.strip()
    if not _TOKEN.fullmatch(key):
        raise ValueError("the API key must be one bearer token (letters, digits and -._~+/=), not empty")
    return (("authorization", f"Bearer {key}"),)


def channel_options(tls: TLS | None) -> list[tuple[str, str | int]]:
    options: list[tuple[str, str | int]] = []
    if tls is not None and tls.server_name:
        options.append(("grpc.ssl_target_name_override", tls.server_name))
    return options


def open_channel(target: str, tls: TLS | None) -> grpc.Channel:
    if tls is None:
        return grpc.insecure_channel(target, options=channel_options(tls))
    return grpc.secure_channel(target, tls.credentials(), options=channel_options(tls))


def open_aio_channel(target: str, tls: TLS | None) -> grpc.aio.Channel:
    if tls is None:
        return grpc.aio.insecure_channel(target, options=channel_options(tls))
    return grpc.aio.secure_channel(target, tls.credentials(), options=channel_options(tls))
