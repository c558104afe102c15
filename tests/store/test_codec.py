"""Evaluation -> row -> JSON text -> row -> Evaluation is the identity."""

from __future__ import annotations

import json
from datetime import UTC, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aegis.engine.model import BudgetOutcome, Evaluation, RuleOutcome, SLIResult, WindowBurn
from aegis.spec.durations import Window
from aegis.spec.model import Decision
from aegis.store._codec import evaluation_to_row, row_to_evaluation
from tests.store._evaluations import T0, full_evaluation

_JSON_COLUMNS = ("reasons", "burn_rates", "rules", "budget_policy")

floats = st.floats(allow_nan=True, allow_infinity=True)
windows = st.integers(min_value=1, max_value=10**9).map(Window)
decisions = st.sampled_from(Decision)
moments = st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-3, minutes=-30))]))

evaluations = st.builds(
    Evaluation,
    evaluation_id=st.text(min_size=1),
    slo_id=st.text(),
    service=st.text(),
    environment=st.text(),
    decision=decisions,
    timestamp=moments,
    ttl_seconds=st.integers(min_value=0, max_value=2**31 - 1),
    sli=st.none()
    | st.builds(SLIResult, value=floats, error_rate=floats, budget_remaining=floats, window=windows),
    reasons=st.lists(st.text()).map(tuple),
    burn_rates=st.dictionaries(st.text(), st.builds(WindowBurn, burn_rate=floats, threshold=floats)),
    rules=st.lists(
        st.builds(
            RuleOutcome,
            name=st.text(),
            short_window=windows,
            long_window=windows,
            short_burn_rate=floats,
            long_burn_rate=floats,
            threshold=floats,
            action=decisions,
            fired=st.booleans(),
            evaluated=st.booleans(),
        )
    ).map(tuple),
    is_stale=st.booleans(),
    has_no_traffic=st.booleans(),
    has_missing_data=st.booleans(),
    has_too_few_data_points=st.booleans(),
    has_clamped_data=st.booleans(),
    data_timestamp=st.none() | moments,
    budget=st.none()
    | st.builds(
        BudgetOutcome,
        block_below=st.none() | floats,
        warn_below=st.none() | floats,
        budget_remaining=st.none() | floats,
        action=st.none() | decisions,
    ),
    dry_run=st.booleans(),
    would_be_decision=st.none() | decisions,
)


def _through_strict_json(row: dict[str, object]) -> dict[str, object]:
    # What the engine does to JSON columns, with NaN/Infinity forbidden as in PostgreSQL.
    return {
        key: json.loads(json.dumps(value, allow_nan=False)) if key in _JSON_COLUMNS else value
        for key, value in row.items()
    }


@given(evaluations)
def test_codec_round_trips_any_evaluation(evaluation: Evaluation) -> None:
    decoded = row_to_evaluation(_through_strict_json(evaluation_to_row(evaluation)))
    # repr compares NaNs, -0.0, tuple vs list and burn_rates order exactly.
    assert repr(decoded) == repr(evaluation)


def test_codec_writes_burn_rates_as_an_ordered_list() -> None:
    row = evaluation_to_row(full_evaluation())
    assert [item["window"] for item in row["burn_rates"]] == ["6h", "5m", "1h"]
    assert row["burn_rates"][1]["burn_rate"] == "Infinity"


def test_codec_reads_nan_sli_that_sqlite_stored_as_null() -> None:
    row = evaluation_to_row(full_evaluation())
    row["sli_value"] = None
    decoded = row_to_evaluation(row)
    assert decoded.sli is not None and decoded.sli.value != decoded.sli.value  # NaN


@pytest.mark.parametrize("field", ["timestamp", "data_timestamp"])
def test_codec_refuses_naive_datetimes(field: str) -> None:
    naive = full_evaluation(**{field: T0.replace(tzinfo=None)})
    with pytest.raises(ValueError, match=f"ev-full: {field} must be timezone-aware"):
        evaluation_to_row(naive)
