"""Evaluations for store tests: one fully populated, variants by keyword."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from aegis.engine.model import BudgetOutcome, Evaluation, RuleOutcome, SLIResult, WindowBurn
from aegis.spec.durations import Window
from aegis.spec.model import Decision

T0 = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)


def full_evaluation(**changes: Any) -> Evaluation:
    """Every field set to a non-default value, so a dropped field shows up."""
    evaluation = Evaluation(
        evaluation_id="ev-full",
        slo_id="api-availability",
        service="checkout",
        environment="production",
        decision=Decision.WARN,
        timestamp=T0,
        ttl_seconds=30,
        sli=SLIResult(
            value=0.99912345678901,
            error_rate=0.00087654321099,
            budget_remaining=-0.25,
            window=Window.parse("28d"),
        ),
        reasons=("burn rate 6.1 over 30m and 6h exceeds 6", "too few data points in 5m"),
        # Deliberately not in sorted order: the mapping's order must survive.
        burn_rates={
            "6h": WindowBurn(burn_rate=6.123456789, threshold=6.0),
            "5m": WindowBurn(burn_rate=float("inf"), threshold=14.4),
            "1h": WindowBurn(burn_rate=0.1 + 0.2, threshold=14.4),
        },
        rules=(
            RuleOutcome(
                name="page-fast",
                short_window=Window.parse("5m"),
                long_window=Window.parse("1h"),
                short_burn_rate=float("inf"),
                long_burn_rate=0.30000000000000004,
                threshold=14.4,
                action=Decision.BLOCK,
                fired=False,
                evaluated=False,
            ),
            RuleOutcome(
                name="ticket-slow",
                short_window=Window.parse("90m"),
                long_window=Window.parse("6h"),
                short_burn_rate=6.5,
                long_burn_rate=6.123456789,
                threshold=6.0,
                action=Decision.WARN,
                fired=True,
                evaluated=True,
            ),
        ),
        is_stale=True,
        has_no_traffic=False,
        has_missing_data=True,
        has_too_few_data_points=True,
        has_clamped_data=True,
        data_timestamp=T0 - timedelta(seconds=42, microseconds=7),
        budget=BudgetOutcome(
            block_below=0.1, warn_below=None, budget_remaining=0.0812345678901, action=Decision.BLOCK
        ),
        dry_run=True,
        would_be_decision=Decision.BLOCK,
    )
    return dataclasses.replace(evaluation, **changes)


def minimal_evaluation(evaluation_id: str, timestamp: datetime, **changes: Any) -> Evaluation:
    """The smallest valid record: no SLI, no evidence, every flag off."""
    evaluation = Evaluation(
        evaluation_id=evaluation_id,
        slo_id="api-availability",
        service="checkout",
        environment="production",
        decision=Decision.ALLOW,
        timestamp=timestamp,
        ttl_seconds=60,
        sli=None,
        reasons=(),
    )
    return dataclasses.replace(evaluation, **changes)
