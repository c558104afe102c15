"""Fixture locations and a valid SLO document for tests to mutate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "slo"
VALID_DIR = FIXTURES / "valid"
INVALID_DIR = FIXTURES / "invalid"

VALID_IDS = {
    "api-availability",
    "api-warn-only",
    "batch-zero-traffic",
    "billing-stale",
    "checkout-availability",
    "checkout-fast-burn",
    "legacy-ratio",
    "payments-budget-policy",
    "recommendations-dry-run",
    "search-slow-burn",
    "web-latency",
}


def valid_document(slo_id: str = "demo") -> dict[str, Any]:
    """A fresh copy of a minimal valid document in the documented format (only required fields)."""
    return {
        "apiVersion": "aegis.slo/v1",
        "kind": "SLO",
        "metadata": {"id": slo_id, "service": "demo"},
        "spec": {
            "environment": "test",
            "objective": 0.999,
            "complianceWindow": "30d",
            "evaluationInterval": "1m",
            "sli": {
                "type": "availability",
                "good": {"prometheusQuery": "fixture:healthy"},
                "total": {"prometheusQuery": "fixture:healthy"},
            },
            "burnPolicy": {
                "rules": [
                    {"name": "fast-burn", "shortWindow": "5m", "longWindow": "1h", "threshold": 14.4},
                    {"name": "slow-burn", "shortWindow": "30m", "longWindow": "6h", "threshold": 6},
                ]
            },
            "gating": {"minDataPoints": 1, "stalenessLimit": "10m"},
        },
    }
