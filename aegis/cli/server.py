"""``aegis-server``: flags and environment variables -> Settings -> a running server.

Every flag has an environment variable; a flag wins over its variable. Bad
configuration is one clear line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Mapping, Sequence

from aegis.cli._database_options import add_database_options
from aegis.cli._replica_flags import add_replica_options, check_replica_options
from aegis.cli._server_flags import (
    add_operations,
    add_reload_and_backends,
    add_security,
    check_operations,
    env_float,
    env_int,
    retention_seconds,
)
from aegis.config import Settings
from aegis.logs import configure_logging
from aegis.store.migrate import SCHEMA_POLICIES

EXIT_CONFIG = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_CONFIG, f"aegis-server: error: {message}\n")


def build_parser(env: Mapping[str, str]) -> argparse.ArgumentParser:
    parser = _Parser(prog="aegis-server", description="AegisSLO release gate: gRPC and REST server.")
    add = parser.add_argument
    add("--host", default=env.get("HOST", "0.0.0.0"), help="address to listen on (HOST; default 0.0.0.0)")
    add("--port", type=int, default=env_int(env, "PORT", 8080), help="REST port (PORT; default 8080)")
    add(
        "--grpc-port",
        type=int,
        default=env_int(env, "GRPC_PORT", 50051),
        help="gRPC port (GRPC_PORT; default 50051)",
    )
    add(
        "--slo-dir",
        default=env.get("SLO_DIR", "fixtures/slo/valid"),
        help="directory of SLO YAML files (SLO_DIR; default fixtures/slo/valid)",
    )
    add(
        "--adapter",
        choices=("synthetic", "prometheus"),
        default=env.get("ADAPTER_TYPE", "synthetic"),
        help="metrics source (ADAPTER_TYPE; default synthetic)",
    )
    add(
        "--synthetic-fixtures",
        default=env.get("SYNTHETIC_FIXTURES", "fixtures/metrics"),
        help="directory of synthetic JSON fixtures (SYNTHETIC_FIXTURES; default fixtures/metrics)",
    )
    add_database_options(parser, env)
    add(
        "--db-upgrade",
        choices=SCHEMA_POLICIES,
        default=env.get("DB_UPGRADE") or "auto",
        help="at start, bring the audit schema to this version's: auto = SQLite yes, other databases "
        "only checked (run `aegis db upgrade`); always; never = check only (DB_UPGRADE; default auto)",
    )
    add(
        "--audit-retention",
        default=env.get("AUDIT_RETENTION") or None,
        metavar="DURATION",
        help="delete audit records older than this, e.g. 90d (AUDIT_RETENTION; default: keep everything)",
    )
    add(
        "--notifications-file",
        default=env.get("NOTIFICATIONS_FILE") or None,
        metavar="FILE",
        help="YAML file of webhooks and Alertmanager URLs told when a decision changes (NOTIFICATIONS_FILE)",
    )
    add(
        "--log-level",
        default=env.get("LOG_LEVEL", "INFO"),
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        help="log level (LOG_LEVEL; default INFO)",
    )
    add(
        "--log-format",
        choices=("text", "json"),
        default=env.get("LOG_FORMAT", "text"),
        help="text, or json: one JSON object per line (LOG_FORMAT; default text)",
    )
    add_security(parser, env)
    add_operations(parser, env)
    add_reload_and_backends(parser, env)
    add_replica_options(parser, env)
    prom = parser.add_argument_group("Prometheus adapter")
    prom.add_argument(
        "--prometheus-url",
        default=env.get("PROMETHEUS_URL") or None,
        help="base URL of the Prometheus HTTP API (PROMETHEUS_URL)",
    )
    prom.add_argument(
        "--prometheus-header",
        action="append",
        default=None,
        metavar="'NAME: VALUE'",
        help="extra header on every request, repeatable (PROMETHEUS_HEADERS, one per line)",
    )
    prom.add_argument(
        "--prometheus-max-concurrency",
        type=int,
        default=env_int(env, "PROMETHEUS_MAX_CONCURRENCY", 10),
        help="queries in flight at once (PROMETHEUS_MAX_CONCURRENCY; default 10)",
    )
    prom.add_argument(
        "--prometheus-timeout",
        type=float,
        default=env_float(env, "PROMETHEUS_TIMEOUT", 10.0),
        help="per-query timeout in seconds (PROMETHEUS_TIMEOUT; default 10)",
    )
    prom.add_argument(
        "--prometheus-evaluation-budget",
        type=float,
        default=env_float(env, "PROMETHEUS_EVALUATION_BUDGET", 30.0),
        help="seconds one evaluation may spend, retries included (PROMETHEUS_EVALUATION_BUDGET; default 30)",
    )
    prom.add_argument(
        "--prometheus-time-alignment",
        type=float,
        default=env_float(env, "PROMETHEUS_TIME_ALIGNMENT", 10.0),
        help="round evaluation times down to this many seconds so SLOs share queries; 0 = off "
        "(PROMETHEUS_TIME_ALIGNMENT; default 10)",
    )
    prom.add_argument(
        "--prometheus-bearer-token-file",
        default=env.get("PROMETHEUS_BEARER_TOKEN_FILE"),
        help="file holding a bearer token (PROMETHEUS_BEARER_TOKEN_FILE)",
    )
    prom.add_argument(
        "--prometheus-basic-auth-user",
        default=env.get("PROMETHEUS_BASIC_AUTH_USER"),
        help="basic auth user (PROMETHEUS_BASIC_AUTH_USER)",
    )
    prom.add_argument(
        "--prometheus-basic-auth-password-file",
        default=env.get("PROMETHEUS_BASIC_AUTH_PASSWORD_FILE"),
        help="file holding the basic auth password (PROMETHEUS_BASIC_AUTH_PASSWORD_FILE)",
    )
    prom.add_argument(
        "--prometheus-recorded-series",
        action="store_true",
        default=env.get("PROMETHEUS_RECORDED_SERIES", "").strip().lower() in ("1", "true", "yes"),
        help="read good/total events from the series 'aegis rules' records when they exist, the raw "
        "queries otherwise (PROMETHEUS_RECORDED_SERIES=true; docs/prometheus.md#recorded-series)",
    )
    prom.add_argument(
        "--prometheus-ca-file",
        default=env.get("PROMETHEUS_CA_FILE"),
        help="CA bundle to verify the Prometheus TLS certificate (PROMETHEUS_CA_FILE)",
    )
    return parser


def parse_settings(argv: Sequence[str] | None, env: Mapping[str, str]) -> Settings:
    args = build_parser(env).parse_args(argv)
    headers = args.prometheus_header
    if headers is None:
        headers = [line for line in env.get("PROMETHEUS_HEADERS", "").splitlines() if line.strip()]
    for name in ("port", "grpc_port"):
        value = getattr(args, name)
        if not 0 <= value <= 65535:
            raise SystemExit(f"aegis-server: error: --{name.replace('_', '-')} must be 0..65535, got {value}")
    check_operations(args)
    check_replica_options(args)
    if args.adapter == "prometheus" and not args.prometheus_url:
        raise SystemExit(
            "aegis-server: error: --adapter prometheus needs --prometheus-url (or PROMETHEUS_URL)"
        )
    retention = retention_seconds(args.audit_retention)
    return Settings(
        host=args.host,
        port=args.port,
        grpc_port=args.grpc_port,
        slo_dir=args.slo_dir,
        adapter=args.adapter,
        synthetic_fixtures=args.synthetic_fixtures,
        prometheus_url=args.prometheus_url,
        prometheus_options={
            "headers": tuple(headers),
            "max_concurrency": args.prometheus_max_concurrency,
            "timeout": args.prometheus_timeout,
            "evaluation_budget": args.prometheus_evaluation_budget,
            "time_alignment": args.prometheus_time_alignment,
            "bearer_token_file": args.prometheus_bearer_token_file,
            "basic_auth_user": args.prometheus_basic_auth_user,
            "basic_auth_password_file": args.prometheus_basic_auth_password_file,
            "ca_file": args.prometheus_ca_file,
            "recorded_series": args.prometheus_recorded_series,
        },
        db=args.db,
        db_url=args.db_url,
        db_upgrade=args.db_upgrade,
        replica_lease=args.replica_lease,
        replica_id=args.replica_id,
        log_level=args.log_level,
        audit_retention=retention,
        notifications_file=args.notifications_file,
        # The scheduler's hard stop must leave the adapter its whole retry budget.
        evaluation_timeout=max(60.0, args.prometheus_evaluation_budget + 15.0),
        api_keys_file=args.api_keys_file,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        tls_client_ca=args.tls_client_ca,
        log_format=args.log_format,
        shutdown_grace=args.shutdown_grace,
        replay_timeout=args.replay_timeout,
        http_header_timeout=args.http_header_timeout,
        http_body_timeout=args.http_body_timeout,
        max_connections=args.max_connections,
        slo_reload_interval=args.slo_reload_interval,
        backends_file=args.backends_file,
    )


def main(argv: Sequence[str] | None = None) -> int:
    try:
        settings = parse_settings(argv, os.environ)
    except SystemExit as exit_:
        if isinstance(exit_.code, str):
            print(exit_.code, file=sys.stderr)
            return EXIT_CONFIG
        return int(exit_.code or 0)
    configure_logging(settings.log_level, settings.log_format)
    if settings.log_level != "DEBUG":
        # alembic narrates every connection at INFO; our one line per upgrade says what changed.
        logging.getLogger("alembic").setLevel(logging.WARNING)
    logger = logging.getLogger("aegis")
    from aegis.api.server import run
    from aegis.api.tls import load_tls
    from aegis.app import Application, ConfigurationError

    try:
        load_tls(settings)  # checked before anything is logged, like every other setting
        app = Application(settings, logger=logger)
    except ConfigurationError as err:
        print(f"aegis-server: error: {err}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        asyncio.run(run(app, logger))
    except (OSError, ConfigurationError) as err:
        print(f"aegis-server: error: {err}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
