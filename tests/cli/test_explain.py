"""``aegis explain``: a person's view of the latest decision, end to end and line by line."""

from __future__ import annotations

from dataclasses import replace

import pytest

from aegis.client import DataFlags, Decision, Evaluation, RuleResult, SLISummary
from aegis.client.explanation import explain, format_burn_rate
from tests.cli._aegis import aegis
from tests.conftest import LiveServer


@pytest.mark.parametrize("transport", ["server", "url"])
async def test_explain_a_blocked_slo(live: LiveServer, transport: str) -> None:
    where = ["--server", live.grpc_target] if transport == "server" else ["--url", live.rest_url]
    ran = await aegis("explain", *where, "--slo", "checkout-fast-burn", process=transport == "url")
    assert ran.code == 0, ran
    lines = ran.out.splitlines()
    assert lines[0].startswith("checkout-fast-burn (checkout/production): BLOCK at ")
    assert "  error budget left: 0.0% over 30d (SLI 99.8000%, error rate 0.2000%)" in lines
    assert (
        "  rule fast-burn (BLOCK at 14.4x): 5m at 25.0x, 1h at 20.0x; FIRED: both windows at or above 14.4x"
        in lines
    )
    assert "  for the gate to open:" in lines
    assert (
        "    - rule fast-burn: the 5m burn rate must fall below 14.4x (now 25.0x), "
        "or the 1h burn rate below 14.4x (now 20.0x)" in lines
    )
    assert (
        "    - rule slow-burn: the 30m burn rate must fall below 6.0x (now 20.0x), "
        "or the 6h burn rate below 6.0x (now 8.0x)" in lines
    )


async def test_explain_stale_data_and_an_open_gate(live: LiveServer) -> None:
    stale = await aegis("explain", "--url", live.rest_url, "--slo", "billing-stale")
    assert stale.code == 0
    assert "    - fresh data needed: the data is older than the SLO's staleness limit" in stale.out
    open_gate = await aegis("explain", "--server", live.grpc_target, "--slo", "api-availability", "--fresh")
    assert open_gate.code == 0
    assert open_gate.out.splitlines()[-1] == "  the gate is open: nothing needs to change"


async def test_explain_an_unknown_slo_is_3(live: LiveServer) -> None:
    ran = await aegis("explain", "--url", live.rest_url, "--slo", "nope")
    assert ran.code == 3
    assert "NOT_FOUND" in ran.err


BASE = Evaluation(
    evaluation_id="e",
    slo_id="web",
    service="web",
    environment="prod",
    decision=Decision.WARN,
    timestamp=None,
    ttl=60,
    sli=SLISummary(0.999, 0.001, 0.5, "30d"),
    reasons=("...",),
    rules=(
        RuleResult("fast-burn", "5m", "1h", 0.0, 0.0, 14.4, Decision.BLOCK, False, False),
        RuleResult("page", "30m", "6h", 7.0, 6.5, 6.0, Decision.WARN, True, True),
    ),
)


@pytest.mark.parametrize(
    ("flags", "needed"),
    [
        (
            DataFlags(missing_data=True),
            "data needed: a window returned no data or the metrics backend failed for rule(s) fast-burn",
        ),
        (DataFlags(no_traffic=True), "traffic needed: a window a rule needs saw no requests"),
        (DataFlags(too_few_data_points=True), "more data points needed"),
        (DataFlags(stale=True), "fresh data needed"),
    ],
    ids=["missing", "no-traffic", "too-few", "stale"],
)
def test_each_data_problem_says_what_is_needed(flags: DataFlags, needed: str) -> None:
    opening = explain(replace(BASE, flags=flags)).to_open()
    assert (
        opening[0] == "rule page: the 30m burn rate must fall below 6.0x (now 7.0x), or the 6h burn rate "
        "below 6.0x (now 6.5x)"
    )
    assert opening[1].startswith(needed)
    assert len(opening) == 2


def test_an_allowed_evaluation_needs_nothing_and_no_sli_is_said() -> None:
    allowed = explain(replace(BASE, decision=Decision.ALLOW, sli=None))
    assert allowed.to_open() == []
    assert allowed.budget() == "error budget: unknown (no SLI could be computed)"


@pytest.mark.parametrize(("value", "text"), [(20.0, "20.0x"), (14.4, "14.4x"), (0.08, "0.08x"), (0.0, "0x")])
def test_burn_rates_print_readably(value: float, text: str) -> None:
    assert format_burn_rate(value) == text
