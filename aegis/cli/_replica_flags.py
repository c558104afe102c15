"""``aegis-server``'s flags for several replicas on one PostgreSQL (docs/replicas.md)."""

from __future__ import annotations

import argparse
from collections.abc import Mapping

# Below this, renewals (a third of the lease) would come too often to keep up under load.
MIN_LEASE = 0.5


def add_replica_options(parser: argparse.ArgumentParser, env: Mapping[str, str]) -> None:
    group = parser.add_argument_group("Several replicas (with --db-url postgresql://..., docs/replicas.md)")
    group.add_argument(
        "--replica-lease",
        type=float,
        default=_lease_from_env(env),
        metavar="SECONDS",
        help="how long a replica's lease lasts: a dead or cut-off replica's SLOs move to the others after at "
        "most this, and a replica that cannot reach the database answers WARN after it; keep it below the "
        "shortest evaluation interval (REPLICA_LEASE; default 10)",
    )
    group.add_argument(
        "--replica-id",
        default=env.get("REPLICA_ID") or None,
        help="this replica's name among the others, unique per process (REPLICA_ID; default: host name, "
        "process id and a random suffix)",
    )


def _lease_from_env(env: Mapping[str, str]) -> float:
    raw = env.get("REPLICA_LEASE") or ""
    try:
        return float(raw) if raw else 10.0
    except ValueError:
        raise SystemExit(f"aegis-server: error: REPLICA_LEASE must be a number, got {raw!r}") from None


def check_replica_options(args: argparse.Namespace) -> None:
    if not MIN_LEASE <= args.replica_lease <= 3600:
        raise SystemExit(
            f"aegis-server: error: --replica-lease must be {MIN_LEASE} to 3600 seconds, "
            f"got {args.replica_lease}"
        )
