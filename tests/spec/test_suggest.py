"""closest_name: the 'did you mean' behind unknown-field and bad-value messages."""

from __future__ import annotations

import pytest

from aegis.spec.suggest import closest_name, did_you_mean

RULE_FIELDS = ["name", "shortWindow", "longWindow", "threshold", "action"]


@pytest.mark.parametrize(
    ("word", "candidates", "expected"),
    [
        ("treshold", RULE_FIELDS, "threshold"),
        ("short_window", RULE_FIELDS, "shortWindow"),
        ("LongWindow", RULE_FIELDS, "longWindow"),
        ("actoin", RULE_FIELDS, "action"),
        ("severity", RULE_FIELDS, None),
        ("threshold", RULE_FIELDS, None),
        ("block", ["ALLOW", "WARN", "BLOCK"], "BLOCK"),
        ("latency_threshold", ["availability", "latency", "ratio"], "latency"),
        ("latency", ["ratio", "latency_threshold"], "latency_threshold"),
        ("x", ["ratio"], None),
    ],
)
def test_closest_name_table(word: str, candidates: list[str], expected: str | None) -> None:
    assert closest_name(word, candidates) == expected


def test_did_you_mean_only_for_strings() -> None:
    assert did_you_mean("warn", ["WARN"]) == "; did you mean 'WARN'?"
    assert did_you_mean(3, ["WARN"]) == ""
    assert did_you_mean("zzz", ["WARN"]) == ""
