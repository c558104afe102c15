"""Server settings: one frozen object built from flags and environment variables."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from aegis.store.migrate import SchemaPolicy

AdapterType = Literal["synthetic", "prometheus"]
LogFormat = Literal["text", "json"]


@dataclass(frozen=True)
class Settings:
    host: str = "0.0.0.0"
    port: int = 8080
    grpc_port: int = 50051
    slo_dir: str = "fixtures/slo/valid"
    adapter: AdapterType = "synthetic"
    synthetic_fixtures: str = "fixtures/metrics"
    prometheus_url: str | None = None
    # Prometheus adapter options as given on the command line; parsed by the adapter's config.
    prometheus_options: dict[str, object] = field(default_factory=dict)
    db: str = "aegis.db"
    # A full SQLAlchemy URL (e.g. postgresql+psycopg://...) takes precedence over ``db``.
    db_url: str | None = None
    # Schema at start (aegis.store.migrate.prepare): auto = upgrade SQLite, only check others.
    db_upgrade: SchemaPolicy = "auto"
    # --- Several replicas on PostgreSQL (docs/replicas.md) ---
    # Seconds a replica's lease lasts: a dead or cut-off replica's SLOs move after at most this.
    replica_lease: float = 10.0
    # This replica's name among the others; None: host name, process id and a random suffix.
    replica_id: str | None = None
    log_level: str = "INFO"
    # Upper bound on one evaluation, adapter retries included.
    evaluation_timeout: float = 60.0
    # Upper bound on one replay (ReplayService, the status page's picture), history read included.
    replay_timeout: float = 60.0
    # --- Hot reload and metric backends (docs/operations.md) ---
    # Seconds between checks of the SLO directory, keys and backends files for changes; 0: SIGHUP only.
    slo_reload_interval: float = 10.0
    # YAML file of named metric backends beside the flags' "default" one.
    backends_file: str | None = None
    # --- Security and operations (docs/security.md, docs/operations.md) ---
    # YAML file of API keys (name, sha256, scopes); None: every RPC is open.
    api_keys_file: str | None = None
    # PEM files; cert and key together turn TLS on for both ports, client_ca requires client certs.
    tls_cert: str | None = None
    tls_key: str | None = None
    tls_client_ca: str | None = None
    log_format: LogFormat = "text"
    # Seconds in-flight calls get to finish after SIGTERM.
    shutdown_grace: float = 10.0
    # REST: seconds to receive a request's line and headers, then its body.
    http_header_timeout: float = 10.0
    http_body_timeout: float = 30.0
    # REST connections open at once; None: half the file-descriptor limit, at most 4096.
    max_connections: int | None = None
    # Delete audit records older than this many seconds (--audit-retention 90d); None keeps all.
    audit_retention: float | None = None
    # Longest wait for an audit record to be durable before its evaluation is published anyway.
    audit_commit_wait: float = 5.0
    # YAML file of webhooks and Alertmanager URLs told about decision changes (--notifications-file).
    notifications_file: str | None = None
