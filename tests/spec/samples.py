"""Fixture locations and a valid SLO document for tests to mutate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "slo"
VALID_DIR = FIXTURES / "valid"
INVALID_DIR = FIXTURES / "invalid"

VALID_IDS = {
    "api-availability",
    "api-warn-only",
    "batch-zero-traffic",
    "billing-stale",
    "checkout-fast-burn",
    "legacy-ratio",
    "search-slow-burn",
    "web-latency",
}


def valid_document(slo_id: str = "demo") -> dict[str, Any]:
    """A fresh copy of a minimal valid aegis.slo/v1 document."""
    return {
        "apiVersion": "aegis.slo/v1",
        "kind": "SLO",
        "metadata": {"id": slo_id, "service": "demo", "environment": "test"},
        "spec": {
            "objective": 0.999,
            "window": "30d",
            "sli": {"type": "availability", "goodQuery": "fixture:healthy", "totalQuery": "fixture:healthy"},
            "burnRateRules": [
                {"name": "fast-burn", "shortWindow": "5m", "longWindow": "1h", "threshold": 14.4},
                {"name": "slow-burn", "shortWindow": "30m", "longWindow": "6h", "threshold": 6},
            ],
        },
    }
