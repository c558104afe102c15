"""A v0.1.0 audit database, written byte for byte as v0.1.0 wrote one.

The DDL is v0.1.0's ``internal/storage/sqlite/migrations.go`` Schema, verbatim. The
rows are what v0.1.0's Go code stored (mattn/go-sqlite3 1.14): ``time.Time`` bound as
text ``2006-01-02 15:04:05.999999999-07:00`` in the evaluating process's local zone
(trailing zeros of the fraction dropped), booleans as 0/1, ``json.Marshal`` of
``[]string`` and of ``map[string]eval.BurnRateResult`` (keys sorted, Go field names,
shortest float spelling such as ``9.999999999998899e-05``), ``CURRENT_TIMESTAMP``
for created_at. The values were taken from a database a real v0.1.0 build wrote.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

V010_SCHEMA = """
-- SLO definitions table
CREATE TABLE IF NOT EXISTS slo_definitions (
	id TEXT PRIMARY KEY,
	service TEXT NOT NULL,
	environment TEXT NOT NULL,
	objective REAL NOT NULL,
	compliance_window TEXT NOT NULL,
	evaluation_interval TEXT NOT NULL,
	spec_json TEXT NOT NULL,
	created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
	updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX IF NOT EXISTS idx_slo_service_env ON slo_definitions(service, environment);

-- Evaluations audit table
CREATE TABLE IF NOT EXISTS evaluations (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	slo_id TEXT NOT NULL,
	service TEXT NOT NULL,
	environment TEXT NOT NULL,
	decision TEXT NOT NULL,
	sli REAL NOT NULL,
	error_rate REAL NOT NULL,
	budget_remaining REAL NOT NULL,
	is_stale BOOLEAN NOT NULL DEFAULT 0,
	has_no_traffic BOOLEAN NOT NULL DEFAULT 0,
	reasons_json TEXT NOT NULL,
	burn_rates_json TEXT NOT NULL,
	timestamp TIMESTAMP NOT NULL,
	created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
	FOREIGN KEY (slo_id) REFERENCES slo_definitions(id)
);

CREATE INDEX IF NOT EXISTS idx_evaluations_slo_id ON evaluations(slo_id);
CREATE INDEX IF NOT EXISTS idx_evaluations_service_env ON evaluations(service, environment);
CREATE INDEX IF NOT EXISTS idx_evaluations_decision ON evaluations(decision);
CREATE INDEX IF NOT EXISTS idx_evaluations_timestamp ON evaluations(timestamp DESC);
CREATE INDEX IF NOT EXISTS idx_evaluations_created_at ON evaluations(created_at DESC);

-- Latest state table (one row per SLO)
CREATE TABLE IF NOT EXISTS latest_state (
	slo_id TEXT PRIMARY KEY,
	service TEXT NOT NULL,
	environment TEXT NOT NULL,
	decision TEXT NOT NULL,
	sli REAL NOT NULL,
	error_rate REAL NOT NULL,
	budget_remaining REAL NOT NULL,
	is_stale BOOLEAN NOT NULL DEFAULT 0,
	has_no_traffic BOOLEAN NOT NULL DEFAULT 0,
	reasons_json TEXT NOT NULL,
	burn_rates_json TEXT NOT NULL,
	timestamp TIMESTAMP NOT NULL,
	updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
	FOREIGN KEY (slo_id) REFERENCES slo_definitions(id)
);

CREATE INDEX IF NOT EXISTS idx_latest_state_service_env ON latest_state(service, environment);
"""


def spec_json(rules: list[tuple[str, str, str, float, str]], window: str = "30d") -> str:
    """json.Marshal(slo.Spec): no json tags, so Go's field names.

    ``rules`` are (name, shortWindow, longWindow, threshold, action).
    """
    return json.dumps(
        {
            "Environment": "prod",
            "Objective": 0.999,
            "ComplianceWindow": window,
            "EvaluationInterval": "30s",
            "SLI": {
                "Type": "ratio",
                "ThresholdMs": None,
                "Good": {"PrometheusQuery": "fixture:x"},
                "Total": {"PrometheusQuery": "fixture:x"},
            },
            "BurnPolicy": {
                "Rules": [
                    {"Name": n, "ShortWindow": s, "LongWindow": lw, "Threshold": t, "Action": a}
                    for n, s, lw, t, a in rules
                ]
            },
            "Gating": {"MinDataPoints": 1, "StalenessLimit": "120s"},
        },
        separators=(",", ":"),
    )


FAST_BURN = ("fast-burn", "5m", "1h", 14, "BLOCK")
SLOW_BURN = ("slow-burn", "1h", "6h", 6, "WARN")

# (id, service, compliance_window, evaluation_interval, spec_json)
DEFINITIONS = [
    ("checkout-availability", "checkout", "30d", "30s", spec_json([FAST_BURN])),
    ("search-latency", "search", "30d", "1m", spec_json([FAST_BURN, SLOW_BURN])),
]


def burn(window: str, burn_rate: str, sli: str, error_rate: str) -> str:
    # Go's encoder writes floats in their shortest form; the text is spliced in as written.
    return f'"{window}":{{"Window":"{window}","BurnRate":{burn_rate},"SLI":{sli},"ErrorRate":{error_rate}}}'


def burns(*items: str) -> str:
    return "{" + ",".join(items) + "}"


@dataclass(frozen=True)
class V010Row:
    slo_id: str
    service: str
    decision: str
    sli: float
    error_rate: float
    budget_remaining: float
    is_stale: int
    has_no_traffic: int
    reasons_json: str
    burn_rates_json: str
    timestamp: str


HEALTHY = V010Row(
    "checkout-availability", "checkout", "ALLOW", 0.9995, 0.0004999999999999449, 0.5000000000000555, 0, 0,
    '["all burn rate checks passed"]',
    burns(
        burn("1h", "0.4999999999999445", "0.9995", "0.0004999999999999449"),
        burn("30d", "0.4999999999999445", "0.9995", "0.0004999999999999449"),
        burn("5m", "0.4999999999999445", "0.9995", "0.0004999999999999449"),
    ),
    "2026-03-29 00:30:00.123456789+00:00",
)  # fmt: skip
FAST_BURNING = V010Row(
    "checkout-availability", "checkout", "BLOCK", 0.98, 0.020000000000000018, 0.0, 0, 0,
    '["rule fast-burn triggered: short=20.00x, long=20.00x (threshold=14.00x)"]',
    burns(
        burn("1h", "20", "0.98", "0.020000000000000018"),
        burn("30d", "20", "0.98", "0.020000000000000018"),
        burn("5m", "20", "0.98", "0.020000000000000018"),
    ),
    "2026-03-29 01:30:30.123456789+01:00",  # Europe/Berlin, the night DST began
)  # fmt: skip
ZERO_TRAFFIC = V010Row(
    "checkout-availability", "checkout", "WARN", 0.0, 0.0, 1.0, 0, 1,
    '["insufficient data (zero traffic)"]',
    burns(burn("1h", "0", "0", "0"), burn("30d", "0", "0", "0"), burn("5m", "0", "0", "0")),
    "2026-03-28 22:30:00.5-04:00",
)  # fmt: skip
STALE = V010Row(
    "checkout-availability", "checkout", "WARN", 0.9995, 0.0004999999999999449, 0.5000000000000555, 1, 0,
    '["data is stale"]',
    burns(
        burn("1h", "0.4999999999999445", "0.9995", "0.0004999999999999449"),
        burn("30d", "0.4999999999999445", "0.9995", "0.0004999999999999449"),
        burn("5m", "0.4999999999999445", "0.9995", "0.0004999999999999449"),
    ),
    "2026-03-29 04:00:00.000000007+00:00",
)  # fmt: skip
SLOW_BURNING = V010Row(
    "search-latency", "search", "WARN", 0.9999, 9.999999999998899e-05, 0.9000000000000111, 0, 0,
    '["rule slow-burn triggered: short=8.00x, long=16.67x (threshold=6.00x)"]',
    burns(
        burn("1h", "8", "0.992", "0.008000000000000007"),
        burn("30d", "0.0999999999999889", "0.9999", "0.00009999999999998899"),
        burn("5m", "10", "0.99", "0.010000000000000009"),
        burn("6h", "16.666666666666703", "0.9833333333333333", "0.01666666666666672"),
    ),
    "2026-03-29 09:00:00+05:30",
)  # fmt: skip

ROWS = (HEALTHY, FAST_BURNING, ZERO_TRAFFIC, STALE, SLOW_BURNING)


def create_v010_database(path: Path, rows: tuple[V010Row, ...] = ROWS) -> None:
    """v0.1.0's NewStore (schema), StoreSLODefinition for each SLO, StoreEvaluation per row."""
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA foreign_keys = ON")
        connection.executescript(V010_SCHEMA)
        connection.executemany(
            "INSERT INTO slo_definitions (id, service, environment, objective, compliance_window, "
            "evaluation_interval, spec_json) VALUES (?, ?, 'prod', 0.999, ?, ?, ?)",
            DEFINITIONS,
        )
        append_v010_rows(connection, rows)
        # UpdateLatestState after each evaluation: the last row per SLO remains.
        connection.execute(
            "INSERT INTO latest_state (slo_id, service, environment, decision, sli, error_rate, "
            "budget_remaining, is_stale, has_no_traffic, reasons_json, burn_rates_json, timestamp) "
            "SELECT slo_id, service, environment, decision, sli, error_rate, budget_remaining, is_stale, "
            "has_no_traffic, reasons_json, burn_rates_json, timestamp FROM evaluations "
            "WHERE id IN (SELECT max(id) FROM evaluations GROUP BY slo_id)"
        )
    connection.close()


def append_v010_rows(connection: sqlite3.Connection, rows: tuple[V010Row, ...]) -> None:
    connection.executemany(
        "INSERT INTO evaluations (slo_id, service, environment, decision, sli, error_rate, "
        "budget_remaining, is_stale, has_no_traffic, reasons_json, burn_rates_json, timestamp) "
        "VALUES (?, ?, 'prod', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (r.slo_id, r.service, r.decision, r.sli, r.error_rate, r.budget_remaining, r.is_stale,
             r.has_no_traffic, r.reasons_json, r.burn_rates_json, r.timestamp)
            for r in rows
        ],
    )  # fmt: skip


def dump_v010_tables(path: Path) -> list[object]:
    """Every v0.1.0 object's DDL and every row of its tables, to prove they were not touched."""
    with sqlite3.connect(path) as connection:
        objects = connection.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
            "AND tbl_name IN ('slo_definitions', 'evaluations', 'latest_state') ORDER BY name"
        ).fetchall()
        rows = [
            connection.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
            for table in ("slo_definitions", "evaluations", "latest_state")
        ]
    connection.close()
    return [objects, rows]
