"""The flags every command that talks to a server shares, and the client they build.

``--server HOST:PORT`` speaks gRPC (``AegisClient``), ``--url URL`` REST (``RestClient``); both
give the same results. Each flag has an environment variable (the flag wins), so a CI job can
set ``AEGIS_URL`` and ``AEGIS_API_KEY`` once.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping

from aegis.client import TLS, AegisClient, RestClient

__all__ = ["add_server_arguments", "open_client"]


class UsageError(ValueError):
    """Flags that cannot work together; the message is one line for the user."""


def add_server_arguments(parser: argparse.ArgumentParser, env: Mapping[str, str] | None = None) -> None:
    env = os.environ if env is None else env
    where = parser.add_argument_group("server")
    target = where.add_mutually_exclusive_group()
    target.add_argument("--server", metavar="HOST:PORT", help="the server's gRPC address (AEGIS_SERVER)")
    target.add_argument(
        "--url", metavar="URL", help="the server's REST base URL, e.g. http://aegis:8080 (AEGIS_URL)"
    )
    where.add_argument(
        "--api-key",
        default=env.get("AEGIS_API_KEY") or None,
        help="sent as 'authorization: Bearer KEY' (AEGIS_API_KEY)",
    )
    where.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="give up after this long, retries included (default 10)",
    )
    tls = parser.add_argument_group("TLS (gRPC: --tls or any of these turns it on; REST: use an https URL)")
    tls.add_argument("--tls", action="store_true", help="use TLS with the system's CAs")
    for flag, variable, what in (
        ("--ca-file", "AEGIS_CA_FILE", "PEM CAs to trust"),
        ("--cert-file", "AEGIS_CERT_FILE", "client certificate, PEM, for mutual TLS"),
        ("--key-file", "AEGIS_KEY_FILE", "the client certificate's key, PEM"),
    ):
        tls.add_argument(flag, default=env.get(variable) or None, help=f"{what} ({variable})")
    tls.add_argument("--tls-server-name", default=None, help="the name the server's certificate must carry")


def open_client(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> AegisClient | RestClient:
    """The client the flags describe; UsageError or ValueError (unreadable files) when they cannot work.

    A --server or --url flag wins over both variables; without either flag, exactly one of
    AEGIS_SERVER and AEGIS_URL must be set.
    """
    env = os.environ if env is None else env
    server, url = args.server, args.url
    if not server and not url:
        server, url = env.get("AEGIS_SERVER") or None, env.get("AEGIS_URL") or None
        if server and url:
            raise UsageError("AEGIS_SERVER and AEGIS_URL are both set: pick one with --server or --url")
    if not server and not url:
        raise UsageError("name the server: --server HOST:PORT (gRPC) or --url URL (REST)")
    if args.timeout is not None and args.timeout <= 0:
        raise UsageError(f"--timeout must be positive, got {args.timeout}")
    tls = _tls(args)
    if url:
        if not url.startswith(("http://", "https://")):
            raise UsageError(f"--url must start with http:// or https://, got {url!r}")
        return RestClient(url, api_key=args.api_key, tls=tls, timeout=args.timeout)
    return AegisClient(server, api_key=args.api_key, tls=tls, timeout=args.timeout)


def _tls(args: argparse.Namespace) -> TLS | None:
    files = (args.ca_file, args.cert_file, args.key_file)
    if not args.tls and not any(files) and not args.tls_server_name:
        return None
    return TLS.from_files(*files, server_name=args.tls_server_name)
