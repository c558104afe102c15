"""``aegis gate --dry-run`` and the deployment context (flags, GitHub Actions and GitLab CI
defaults) against the live server, and ``aegis audit list`` showing what was recorded."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.cli._aegis import aegis
from tests.conftest import LiveServer

TRANSPORTS = ("server", "url")


def where(live: LiveServer, transport: str) -> list[str]:
    return ["--server", live.grpc_target] if transport == "server" else ["--url", live.rest_url]


async def recorded(live: LiveServer, deployment_id: str) -> list[dict[str, Any]]:
    await live.app.audit.flush()
    page = (await live.rest.get("/v1/audit", params={"deploymentID": deployment_id})).json()
    records: list[dict[str, Any]] = page["records"]
    return records


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_gate_dry_run_exits_0_and_shows_the_would_be_decision(live: LiveServer, transport: str) -> None:
    ran = await aegis(
        "gate", *where(live, transport), "--slo", "checkout-fast-burn", "--dry-run", process=True
    )

    assert ran.code == 0, ran
    (line,) = ran.out.splitlines()
    expected = "ALLOW (dry run; would be BLOCK) checkout-fast-burn: dry run (dryRun in the request): "
    assert line.startswith(expected + "the gate answers ALLOW"), line


async def test_gate_dry_run_json_and_service_target(live: LiveServer) -> None:
    ran = await aegis(
        "gate", "--url", live.rest_url, "--service", "checkout", "--environment", "production",
        "--dry-run", "--output", "json",
    )  # fmt: skip

    assert ran.code == 0, ran
    document = json.loads(ran.out)
    assert (document["decision"], document["dryRun"], document["wouldBeDecision"]) == ("ALLOW", True, "BLOCK")
    assert all(e["dryRun"] for e in document["evaluations"])
    without = json.loads(
        (await aegis("gate", "--url", live.rest_url, "--slo", "api-availability", "--output", "json")).out
    )
    assert (without["dryRun"], without["wouldBeDecision"]) == (False, None)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_gate_sends_the_deployment_context_from_flags(live: LiveServer, transport: str) -> None:
    deployment = f"release-{uuid.uuid4().hex[:8]}"
    ran = await aegis(
        "gate", *where(live, transport), "--slo", "api-availability", "--deployment-id", deployment,
        "--commit", "9fceb02", "--pipeline-url", "https://ci.example/run/1", "--caller", "alice",
    )  # fmt: skip
    assert ran.code == 0, ran

    (record,) = await recorded(live, deployment)

    request = record["gateRequest"]
    assert (request["commit"], request["pipelineURL"], request["caller"]) == (
        "9fceb02",
        "https://ci.example/run/1",
        "alice",
    )


async def test_gate_takes_the_context_from_github_actions(live: LiveServer) -> None:
    run_id = uuid.uuid4().hex[:10]
    github = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": "acme/checkout",
        "GITHUB_RUN_ID": run_id,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
        "GITHUB_ACTOR": "octocat",
    }
    # A flag beats the variable it stands for.
    ran = await aegis(
        "gate", "--url", live.rest_url, "--slo", "api-availability", "--caller", "deploy-bot", env=github
    )
    assert ran.code == 0, ran

    (record,) = await recorded(live, f"acme/checkout#{run_id}")

    request = record["gateRequest"]
    assert request["commit"] == github["GITHUB_SHA"]
    assert request["pipelineURL"] == f"https://github.com/acme/checkout/actions/runs/{run_id}"
    assert request["caller"] == "deploy-bot"


async def test_gate_takes_the_context_from_gitlab_ci(live: LiveServer) -> None:
    pipeline = uuid.uuid4().hex[:10]
    gitlab = {
        "GITLAB_CI": "true",
        "CI_PROJECT_PATH": "acme/checkout",
        "CI_PIPELINE_ID": pipeline,
        "CI_PIPELINE_URL": f"https://gitlab.example/acme/checkout/-/pipelines/{pipeline}",
        "CI_COMMIT_SHA": "fedcba9876543210fedcba9876543210fedcba98",
        "GITLAB_USER_LOGIN": "tanuki",
    }
    ran = await aegis("gate", "--server", live.grpc_target, "--slo", "api-availability", env=gitlab)
    assert ran.code == 0, ran

    (record,) = await recorded(live, f"acme/checkout#{pipeline}")

    request = record["gateRequest"]
    assert (request["commit"], request["pipelineURL"], request["caller"]) == (
        gitlab["CI_COMMIT_SHA"],
        gitlab["CI_PIPELINE_URL"],
        "tanuki",
    )


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_audit_list_shows_who_asked_for_what(live: LiveServer, transport: str) -> None:
    deployment = f"listed-{uuid.uuid4().hex[:8]}"
    await aegis(
        "gate", "--url", live.rest_url, "--slo", "checkout-fast-burn", "--dry-run",
        "--deployment-id", deployment, "--commit", "cafebabe1234567890", "--caller", "bob",
    )  # fmt: skip
    await live.app.audit.flush()

    ran = await aegis("audit", "list", *where(live, transport), "--deployment-id", deployment, process=True)

    assert ran.code == 0, ran
    header, row, footer = ran.out.splitlines()
    assert header.split() == [
        "TIME",
        "KIND",
        "SLO",
        "DECISION",
        "DEPLOYMENT",
        "COMMIT",
        "CALLER",
        "API",
        "KEY",
        "ID",
    ]
    assert "gate request" in row and "checkout-fast-burn" in row and "BLOCK (dry run)" in row
    assert deployment in row and "cafebabe1234 " in row and " bob " in row
    assert footer == "1 of 1 matching record(s)"
    as_json = json.loads(
        (
            await aegis(
                "audit", "list", *where(live, transport), "--deployment-id", deployment, "--output", "json"
            )
        ).out
    )
    assert as_json["records"][0]["gateRequest"]["deploymentID"] == deployment


async def test_audit_list_without_a_server_says_so() -> None:
    ran = await aegis("audit", "list")
    assert ran.code == 2
    assert ran.err.startswith("aegis audit list: error: name the server")
