"""TLS material that can be replaced while both listeners run: certificate rotation without a restart.

New connections get the newest certificate, key and client CA; connections already open keep what
they were made with. REST: the listener's context hands each handshake to the newest context
(its SNI callback runs for every ClientHello, with or without a server name). gRPC: dynamic
server credentials, whose fetcher gRPC calls before each handshake.

The files are reloaded with everything else (``TlsFiles`` is a ``Reloadable``). New material is
checked as at start (does the key match? is the CA a CA bundle?) and refused whole when it fails,
keeping the material in force. Whether client certificates are required follows the flags, so it
changes only with a restart; the client CA bundle itself is reloaded.
"""

from __future__ import annotations

import logging
import ssl

import grpc

from aegis.api.tls import TlsMaterial, load_tls
from aegis.app import ConfigurationError
from aegis.config import Settings
from aegis.reload import ReloadResult
from aegis.spec.files import FileStamp, file_stamp


class RotatingTls:
    def __init__(self, material: TlsMaterial) -> None:
        self.material = material
        self._context = material.ssl_context()
        self._version = 0
        self._fetched = 0

    def ssl_context(self) -> ssl.SSLContext:
        """The REST listener's context: each handshake moves on to the newest material."""
        listener = self.material.ssl_context()
        listener.sni_callback = self._newest
        return listener

    def grpc_credentials(self) -> grpc.ServerCredentials:
        return grpc.dynamic_ssl_server_credentials(
            _grpc_configuration(self.material),
            self._fetch,
            require_client_authentication=self.material.requires_client_cert,
        )

    def replace(self, material: TlsMaterial) -> None:
        """Put ``material`` (checked by ``load_tls``, from the same flags) in force for new connections."""
        self._context = material.ssl_context()
        self.material = material
        self._version += 1

    def _newest(self, connection: ssl.SSLObject, server_name: str | None, context: ssl.SSLContext) -> None:
        if connection.context is not self._context:
            connection.context = self._context

    def _fetch(self) -> grpc.ServerCertificateConfiguration | None:
        """Called by gRPC before each handshake: new material once, then None (no change)."""
        if self._fetched == self._version:
            return None
        self._fetched = self._version
        return _grpc_configuration(self.material)


def _grpc_configuration(material: TlsMaterial) -> grpc.ServerCertificateConfiguration:
    return grpc.ssl_server_certificate_configuration(
        [(material.key_pem, material.cert_pem)], root_certificates=material.client_ca_pem
    )


class TlsFiles:
    """``--tls-cert``, ``--tls-key`` and ``--tls-client-ca`` as a reloadable source."""

    name = "tls"
    requires: tuple[str, ...] = ()

    def __init__(self, tls: RotatingTls, settings: Settings, *, logger: logging.Logger | None = None) -> None:
        self._tls = tls
        self._settings = settings
        self._logger = logger or logging.getLogger(__name__)
        self._applied = self._stamps()
        self.problem: str | None = None

    async def changed(self) -> bool:
        return self._stamps() != self._applied

    async def reload(self) -> ReloadResult:
        self._applied = self._stamps()
        try:
            material = load_tls(self._settings)
            assert material is not None  # the settings named files at start
            unchanged = material == self._tls.material
            if not unchanged:
                self._tls.replace(material)
        except ConfigurationError as err:
            self._logger.error("TLS files not reloaded, the certificate in force stays: %s", err)
            self.problem = f"TLS files not reloaded, the certificate in force stays: {err}"
            return "failed"
        self.problem = None
        if unchanged:
            return "unchanged"
        self._logger.info("reloaded the TLS certificate from %s: new connections use it", material.cert_file)
        return "changed"

    def _stamps(self) -> tuple[FileStamp | None, ...]:
        files = (self._settings.tls_cert, self._settings.tls_key, self._settings.tls_client_ca)
        return tuple(file_stamp(path) if path else None for path in files)
