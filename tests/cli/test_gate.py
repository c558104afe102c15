"""``aegis gate`` end to end: a child process against the live server, over gRPC and REST.

The exit code is the contract a pipeline relies on: 0 ALLOW (and WARN unless --fail-on warn),
1 BLOCK, 2 WARN with --fail-on warn, 3 no decision (unreachable, error answer, bad usage).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests._requirements import free_port
from tests.cli._aegis import aegis
from tests.conftest import LiveServer

TRANSPORTS = ("server", "url")


def where(live: LiveServer, transport: str) -> list[str]:
    return ["--server", live.grpc_target] if transport == "server" else ["--url", live.rest_url]


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(
    ("target", "code", "line", "process"),
    [
        (["--slo", "api-availability"], 0, "ALLOW api-availability: all burn rate checks passed", True),
        (["--slo", "checkout-fast-burn"], 1, "BLOCK checkout-fast-burn: rule fast-burn fired (BLOCK)", True),
        (
            ["--slo", "billing-stale"],
            0,
            "WARN billing-stale: data for the 5m, 30m, 1h and 6h windows is stale",
            False,
        ),
        (["--slo", "billing-stale", "--fail-on", "warn"], 2, "WARN billing-stale: ", True),
        (
            ["--service", "checkout", "--environment", "production"],
            1,
            "BLOCK checkout/production: checkout-fast-burn: BLOCK: rule fast-burn fired",
            False,
        ),
        (
            ["--service", "api-gateway", "--environment", "production", "--fresh"],
            0,
            "ALLOW api-gateway/production: ",
            False,
        ),
    ],
    ids=["allow", "block", "warn", "warn-fails", "service-worst", "service-fresh"],
)
async def test_gate_exit_code_and_verdict_line(
    live: LiveServer, transport: str, target: list[str], code: int, line: str, process: bool
) -> None:
    """One exit code per case; the process cases run the installed entry point for real."""
    ran = await aegis("gate", *where(live, transport), *target, process=process)
    assert ran.code == code, ran
    (verdict,) = ran.out.splitlines()
    assert verdict.startswith(line), verdict
    assert ran.err == ""


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_gate_answers_3_when_the_server_answers_an_error(live: LiveServer, transport: str) -> None:
    ran = await aegis("gate", *where(live, transport), "--slo", "no-such-slo")
    assert ran.code == 3
    assert ran.out == ""
    assert "could not decide: NOT_FOUND: no SLO with id 'no-such-slo'" in ran.err


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_gate_answers_3_when_nothing_listens(transport: str) -> None:
    port = free_port()
    target = (
        ["--server", f"127.0.0.1:{port}"] if transport == "server" else ["--url", f"http://127.0.0.1:{port}"]
    )
    ran = await aegis(
        "gate", *target, "--slo", "api-availability", "--timeout", "2", process=transport == "server"
    )
    assert ran.code == 3
    assert "could not decide: UNAVAILABLE" in ran.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--slo", "api-availability"], "name the server"),
        (["--url", "X", "--slo", "a", "--service", "s", "--environment", "e"], "not both"),
        (["--url", "http://x", "--service", "s"], "name an SLO id, or a service and an environment"),
        (["--url", "http://x", "--slo", "a", "--fail-on", "sometimes"], "invalid choice"),
        (["--url", "http://x", "--slo", "a", "--no-such-flag"], "unrecognized arguments: --no-such-flag"),
        (["--url", "localhost:8080", "--slo", "a"], "must start with http:// or https://"),
        (["--server", "h:1", "--url", "http://x", "--slo", "a"], "not allowed with argument"),
    ],
    ids=[
        "no-server",
        "slo-and-service",
        "service-alone",
        "bad-fail-on",
        "bad-flag",
        "bad-url",
        "both-servers",
    ],
)
async def test_a_wrong_command_line_is_3_never_a_verdict(args: list[str], message: str) -> None:
    ran = await aegis("gate", *args, process=args[-1] == "--no-such-flag")
    assert ran.code == 3, ran
    assert message in ran.err


async def test_gate_reads_the_server_and_key_from_the_environment(live: LiveServer) -> None:
    ran = await aegis(
        "gate", "--slo", "checkout-fast-burn", env={"AEGIS_URL": live.rest_url, "AEGIS_API_KEY": "k-1"}
    )
    assert ran.code == 1, ran
    both = await aegis(
        "gate",
        "--slo",
        "api-availability",
        env={"AEGIS_URL": live.rest_url, "AEGIS_SERVER": live.grpc_target},
    )
    assert both.code == 3 and "both set" in both.err
    flag_wins = await aegis(
        "gate",
        "--server",
        live.grpc_target,
        "--slo",
        "api-availability",
        env={"AEGIS_URL": "http://127.0.0.1:1", "AEGIS_SERVER": "127.0.0.1:1"},
    )
    assert flag_wins.code == 0, flag_wins


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_gate_json_output(live: LiveServer, transport: str) -> None:
    ran = await aegis(
        "gate", *where(live, transport), "--slo", "billing-stale", "--fail-on", "warn", "--output", "json"
    )
    assert ran.code == 2
    document = json.loads(ran.out)
    assert document["decision"] == "WARN"
    assert document["exitCode"] == 2 and document["passed"] is False and document["failOn"] == "WARN"
    assert document["target"] == {"sloID": "billing-stale"}
    (evaluation,) = document["evaluations"]
    assert evaluation["sloID"] == "billing-stale" and evaluation["isStale"] is True
    assert evaluation["reasons"] == document["reasons"]


async def test_gate_json_output_on_error() -> None:
    ran = await aegis(
        "gate", "--server", f"127.0.0.1:{free_port()}", "--slo", "a", "--timeout", "1", "--output", "json"
    )
    assert ran.code == 3
    document = json.loads(ran.out)
    assert document["decision"] is None and document["exitCode"] == 3
    assert document["error"].startswith("UNAVAILABLE")


async def test_gate_under_github_actions_annotates_and_summarises(live: LiveServer, tmp_path: Path) -> None:
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs"
    github = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(outputs)}
    blocked = await aegis(
        "gate", "--url", live.rest_url, "--slo", "checkout-fast-burn", env=github, process=True
    )
    warned = await aegis("gate", "--server", live.grpc_target, "--slo", "billing-stale", env=github)
    allowed = await aegis("gate", "--server", live.grpc_target, "--slo", "api-availability", env=github)
    assert (blocked.code, warned.code, allowed.code) == (1, 0, 0)
    assert blocked.out.splitlines()[1].startswith(
        "::error title=AegisSLO gate::BLOCK checkout-fast-burn: rule"
    )
    assert warned.out.splitlines()[1].startswith("::warning title=AegisSLO gate::WARN billing-stale: ")
    assert allowed.out.splitlines()[1] == (
        "::notice title=AegisSLO gate::ALLOW api-availability: all burn rate checks passed"
    )
    markdown = summary.read_text()
    assert "### AegisSLO gate: BLOCK for `checkout-fast-burn` (failed)" in markdown
    assert "| `checkout-fast-burn` | BLOCK | 0.0% | trustworthy |" in markdown
    assert "| fast-burn | 5m / 1h | 25.0x / 20.0x | 14.4x | BLOCK | fired |" in markdown
    assert "- rule fast-burn: the 5m burn rate must fall below 14.4x (now 25.0x)" in markdown
    assert "### AegisSLO gate: WARN for `billing-stale` (passed)" in markdown
    assert "- fresh data needed" in markdown
    assert outputs.read_text().splitlines() == [
        "decision=BLOCK",
        "exit-code=1",
        "decision=WARN",
        "exit-code=0",
        "decision=ALLOW",
        "exit-code=0",
    ]


async def test_gate_under_github_actions_reports_a_failure_to_decide(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    ran = await aegis(
        "gate",
        "--url",
        f"http://127.0.0.1:{free_port()}",
        "--slo",
        "a",
        "--timeout",
        "1",
        env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert ran.code == 3
    assert ran.out.startswith("::error title=AegisSLO gate::could not decide: UNAVAILABLE")
    assert summary.read_text().startswith("### AegisSLO gate: could not decide")
