"""v0.1.0's scenario test (internal/eval/scenario_test.go) on our copies of its files.

v0.1.0 loaded fixtures/slo/valid/checkout-availability.yaml, pointed both of its
queries at a fixture by name and expected, for each of its five metric fixtures,
one decision and flag. The files here are v0.1.0's, byte for byte; the queries
name the fixture by its bare name, which the synthetic adapter reads as v0.1.0's did.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from aegis.engine.policy import evaluate
from aegis.metrics.synthetic import SyntheticAdapter
from aegis.spec.loader import load_directory
from aegis.spec.model import SLO, Decision
from tests.conftest import FIXTURES

SCENARIOS = [
    ("healthy", Decision.ALLOW, None),
    ("fast-burn", Decision.BLOCK, None),
    ("slow-burn", Decision.BLOCK, None),
    ("stale", Decision.WARN, "is_stale"),
    ("zero-traffic", Decision.WARN, "has_no_traffic"),
]


def _checkout(fixture: str) -> SLO:
    result = load_directory(FIXTURES / "slo" / "valid")
    assert result.problems == ()
    (slo,) = [s for s in result.slos if s.id == "checkout-availability"]
    return dataclasses.replace(slo, sli=dataclasses.replace(slo.sli, good_query=fixture, total_query=fixture))


@pytest.mark.parametrize(("fixture", "decision", "flag"), SCENARIOS)
async def test_v010_scenario_decides_as_v010_expected(
    fixture: str, decision: Decision, flag: str | None
) -> None:
    slo = _checkout(fixture)
    adapter = SyntheticAdapter.from_directory(FIXTURES / "metrics")
    now = datetime.now(UTC)

    measurement = await adapter.measure(slo, slo.windows, now)
    result = evaluate(slo, measurement, evaluation_id=f"v010-{fixture}", now=now)

    assert result.decision is decision, result.reasons
    if flag is not None:
        assert getattr(result, flag) is True
    if decision is Decision.BLOCK:
        assert [r.name for r in result.rules if r.fired] == ["fast-burn"]
