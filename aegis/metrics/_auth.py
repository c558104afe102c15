"""Credentials for the Prometheus client, read from their files on every request.

Reading per request (as Prometheus itself does for ``bearer_token_file``) means a
rotated token works without a restart. A file that cannot be read becomes a
CredentialsError, which the client reports as a failed request, never a crash.
"""

from __future__ import annotations

import base64
from collections.abc import Generator
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx

from aegis.metrics.prometheus_config import PrometheusConfig


class CredentialsError(Exception):
    """A token or password file could not be read."""


class FileCredentialsAuth(httpx.Auth):
    def __init__(self, config: PrometheusConfig) -> None:
        self._bearer_token_file = config.bearer_token_file
        self._username = config.basic_auth_username
        self._password = config.basic_auth_password
        self._password_file = config.basic_auth_password_file

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._bearer_token_file:
            token = _read_secret(self._bearer_token_file, "bearer token")
            request.headers["Authorization"] = f"Bearer {token}"
        elif self._username:
            password = self._password
            if password is None and self._password_file:
                password = _read_secret(self._password_file, "basic auth password")
            pair = f"{self._username}:{password or ''}".encode()
            request.headers["Authorization"] = f"Basic {base64.b64encode(pair).decode('ascii')}"
        yield request


def split_credentials(config: PrometheusConfig) -> tuple[str, httpx.Auth | None]:
    """The base URL without user:password, and the auth to send instead.

    Credentials written into the URL become basic auth, so that the URL itself
    (which httpx logs for every request) never carries a password.
    """
    parts = urlsplit(config.url)
    bare = urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1])).rstrip("/")
    if config.bearer_token_file or config.basic_auth_username:
        return bare, FileCredentialsAuth(config)
    if parts.username is not None:
        return bare, httpx.BasicAuth(unquote(parts.username), unquote(parts.password or ""))
    return bare, None


def _read_secret(path: str, what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as err:
        raise CredentialsError(f"cannot read the {what} file {path!r}: {err}") from err
