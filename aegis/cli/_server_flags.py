"""``aegis-server``'s flag groups for security, operations, reload and backends, and their checks.

``aegis/cli/server.py`` builds the parser from these and turns the parsed flags into Settings;
every flag reads its environment variable here, and a flag wins over its variable.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from aegis.spec.durations import DurationError, Window


def env_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"aegis-server: error: {name} must be an integer, got {raw!r}") from None


def env_float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise SystemExit(f"aegis-server: error: {name} must be a number, got {raw!r}") from None


def add_security(parser: argparse.ArgumentParser, env: Mapping[str, str]) -> None:
    group = parser.add_argument_group("Security (docs/security.md)")
    group.add_argument(
        "--api-keys-file",
        default=env.get("API_KEYS_FILE") or None,
        help="YAML file of API keys: name, sha256 of the secret, scopes (API_KEYS_FILE); "
        "without it every RPC is open",
    )
    group.add_argument(
        "--tls-cert",
        default=env.get("TLS_CERT") or None,
        help="PEM certificate (chain) for both ports; needs --tls-key (TLS_CERT)",
    )
    group.add_argument("--tls-key", default=env.get("TLS_KEY") or None, help="PEM private key (TLS_KEY)")
    group.add_argument(
        "--tls-client-ca",
        default=env.get("TLS_CLIENT_CA") or None,
        help="PEM CA bundle: require client certificates it signed, on both ports (TLS_CLIENT_CA)",
    )


def add_operations(parser: argparse.ArgumentParser, env: Mapping[str, str]) -> None:
    group = parser.add_argument_group("Operations (docs/operations.md)")
    group.add_argument(
        "--shutdown-grace",
        type=float,
        default=env_float(env, "SHUTDOWN_GRACE", 10.0),
        help="seconds in-flight calls get to finish after SIGTERM (SHUTDOWN_GRACE; default 10)",
    )
    group.add_argument(
        "--http-header-timeout",
        type=float,
        default=env_float(env, "HTTP_HEADER_TIMEOUT", 10.0),
        help="REST: seconds to receive a request line and headers (HTTP_HEADER_TIMEOUT; default 10)",
    )
    group.add_argument(
        "--http-body-timeout",
        type=float,
        default=env_float(env, "HTTP_BODY_TIMEOUT", 30.0),
        help="REST: seconds to receive a request body (HTTP_BODY_TIMEOUT; default 30)",
    )
    group.add_argument(
        "--replay-timeout",
        type=float,
        default=env_float(env, "REPLAY_TIMEOUT", 60.0),
        help="most seconds one replay (ReplayService, the status page's picture) may take (REPLAY_TIMEOUT; "
        "default 60)",
    )
    group.add_argument(
        "--max-connections",
        type=int,
        default=env_int(env, "MAX_CONNECTIONS", 0) or None,
        help="REST connections open at once; more are answered 503 and closed "
        "(MAX_CONNECTIONS; default: half the open-file limit, at most 4096)",
    )


def add_reload_and_backends(parser: argparse.ArgumentParser, env: Mapping[str, str]) -> None:
    group = parser.add_argument_group("Hot reload and metric backends (docs/operations.md)")
    group.add_argument(
        "--slo-reload-interval",
        type=float,
        default=env_float(env, "SLO_RELOAD_INTERVAL", 10.0),
        metavar="SECONDS",
        help="check the SLO directory and the API keys, backends, notifications and TLS files for changes "
        "this often; 0: only on SIGHUP (SLO_RELOAD_INTERVAL; default 10)",
    )
    group.add_argument(
        "--backends-file",
        default=env.get("BACKENDS_FILE") or None,
        metavar="FILE",
        help="YAML file of named metric backends (Prometheus, VictoriaMetrics, Mimir, ...) that SLOs pick "
        "with spec.sli.backend; the --adapter/--prometheus-* flags stay the one named default "
        "(BACKENDS_FILE)",
    )


def check_operations(args: argparse.Namespace) -> None:
    for name in ("shutdown_grace", "http_header_timeout", "http_body_timeout", "replay_timeout"):
        value = getattr(args, name)
        if not value > 0:
            raise SystemExit(f"aegis-server: error: --{name.replace('_', '-')} must be positive, got {value}")
    if not 0 <= args.slo_reload_interval <= 86400:
        raise SystemExit(
            "aegis-server: error: --slo-reload-interval must be 0 (SIGHUP only) to 86400 seconds, "
            f"got {args.slo_reload_interval}"
        )
    if args.max_connections is not None and args.max_connections < 1:
        raise SystemExit(
            f"aegis-server: error: --max-connections must be at least 1, got {args.max_connections}"
        )
    if bool(args.tls_cert) != bool(args.tls_key):
        raise SystemExit("aegis-server: error: --tls-cert and --tls-key go together")
    if args.tls_client_ca and not args.tls_cert:
        raise SystemExit("aegis-server: error: --tls-client-ca needs --tls-cert and --tls-key")


def retention_seconds(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        return float(Window.parse(raw).seconds)
    except DurationError:
        raise SystemExit(
            f"aegis-server: error: --audit-retention (AUDIT_RETENTION) must be a duration like 90d, 12w "
            f"or 36h, got {raw!r}"
        ) from None
