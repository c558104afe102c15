"""Evaluations for store tests: one fully populated, variants by keyword, a dataset to filter."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aegis.engine.model import Evaluation, RuleOutcome, SLIResult, WindowBurn
from aegis.spec.durations import Window
from aegis.spec.model import Decision
from aegis.store.base import AuditQuery
from aegis.store.sql import SQLAuditStore

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


def dataset() -> list[Evaluation]:
    """24 records over 12 minutes: three SLOs, two services, two environments, every decision."""
    decisions = list(Decision)
    return [
        minimal_evaluation(
            f"ev{i:02d}",
            T0 + timedelta(minutes=i // 2),  # pairs share a timestamp
            slo_id=["slo-a", "slo-b", "slo-c"][i % 3],
            service=["checkout", "search"][i % 2],
            environment=["production", "staging"][(i // 2) % 2],
            decision=decisions[(i // 3) % 3],
        )
        for i in range(24)
    ]


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


# name -> (query filters, the same filter as a predicate)
FILTER_CASES: dict[str, tuple[dict[str, Any], Callable[[Evaluation], bool]]] = {
    "none": ({}, lambda e: True),
    "slo_id": ({"slo_id": "slo-b"}, lambda e: e.slo_id == "slo-b"),
    "service": ({"service": "search"}, lambda e: e.service == "search"),
    "environment": ({"environment": "staging"}, lambda e: e.environment == "staging"),
    "decision": ({"decision": Decision.BLOCK}, lambda e: e.decision is Decision.BLOCK),
    "start_time_inclusive": ({"start_time": at(7)}, lambda e: e.timestamp >= at(7)),
    "end_time_exclusive": ({"end_time": at(3)}, lambda e: e.timestamp < at(3)),
    "time_range": (
        {"start_time": at(2), "end_time": at(9)},
        lambda e: at(2) <= e.timestamp < at(9),
    ),
    "service_and_environment": (
        {"service": "checkout", "environment": "production"},
        lambda e: e.service == "checkout" and e.environment == "production",
    ),
    "slo_id_and_decision": (
        {"slo_id": "slo-a", "decision": Decision.WARN},
        lambda e: e.slo_id == "slo-a" and e.decision is Decision.WARN,
    ),
    "everything": (
        {
            "slo_id": "slo-c",
            "service": "search",
            "environment": "staging",
            "decision": Decision.ALLOW,
            "start_time": at(1),
            "end_time": at(11),
        },
        lambda e: (
            (e.slo_id, e.service, e.environment, e.decision) == ("slo-c", "search", "staging", Decision.ALLOW)
            and at(1) <= e.timestamp < at(11)
        ),
    ),
    "no_match": ({"slo_id": "no-such-slo"}, lambda e: False),
}


async def all_pages(store: SQLAuditStore, query: AuditQuery) -> list[Evaluation]:
    """Every record ``query`` matches, read page by page with the page tokens."""
    records: list[Evaluation] = []
    while True:
        page = await store.query(query)
        records.extend(page.records)
        if page.next_page_token is None:
            return records
        query = dataclasses.replace(query, page_token=page.next_page_token)


def newest_first(records: list[Evaluation]) -> list[Evaluation]:
    """The audit order: newest first, ties broken by id, descending."""
    return sorted(records, key=lambda e: (e.timestamp, e.evaluation_id), reverse=True)


def ids(records: list[Evaluation] | tuple[Evaluation, ...]) -> list[str]:
    return [record.evaluation_id for record in records]
