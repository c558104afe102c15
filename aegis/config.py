"""Server settings: one frozen object built from flags and environment variables."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

AdapterType = Literal["synthetic", "prometheus"]


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
    log_level: str = "INFO"
    # Upper bound on one evaluation, adapter retries included.
    evaluation_timeout: float = 60.0
    # Delete audit records older than this many seconds (--audit-retention 90d); None keeps all.
    audit_retention: float | None = None
    # Longest wait for an audit record to be durable before its evaluation is published anyway.
    audit_commit_wait: float = 5.0
    # YAML file of webhooks and Alertmanager URLs told about decision changes (--notifications-file).
    notifications_file: str | None = None
