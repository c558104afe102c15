"""The CI examples' gate steps, run as the CI would run them, against the live server.

Each example's YAML is parsed, its gate step's shell lines are run by bash with the environment
the example sets (the server's address pointed at the live server, the SLO swapped per case) and
`aegis` on PATH, as the example's install step would leave it. The pipeline's reaction to the exit
code is read from the example too (GitHub: a failed step fails the job that deploy needs; GitLab:
allow_failure exit codes).
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT, LiveServer

EXAMPLES = ROOT / "examples"
BIN = str(Path(sys.executable).parent)  # where `pip install` puts `aegis`


async def bash(script: str, env: dict[str, str]) -> tuple[int, str, str]:
    """GitHub's `run:` shell on Linux: bash --noprofile --norc -eo pipefail."""
    process = await asyncio.create_subprocess_exec(
        "bash",
        "--noprofile",
        "--norc",
        "-eo",
        "pipefail",
        "-c",
        script,
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    return process.returncode or 0, out.decode(), err.decode()


def base_env() -> dict[str, str]:
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("AEGIS_", "GITHUB_", "CI_"))
    }
    return {**env, "PATH": f"{BIN}:{env.get('PATH', '')}"}


def github_workflow() -> dict[str, Any]:
    # PyYAML reads the key `on` as True (YAML 1.1); GitHub reads it as "on".
    loaded: dict[Any, Any] = yaml.safe_load((EXAMPLES / "github-actions" / "deploy-gate.yml").read_text())
    return {("on" if key is True else key): value for key, value in loaded.items()}


def test_github_workflow_gates_the_deploy_job() -> None:
    workflow = github_workflow()
    assert set(workflow["on"]) == {"push", "workflow_dispatch"}
    gate, deploy = workflow["jobs"]["gate"], workflow["jobs"]["deploy"]
    assert deploy["needs"] == "gate", "deploy must wait for the gate (a BLOCK fails the gate job)"
    assert gate["outputs"]["decision"] == "${{ steps.gate.outputs.decision }}"
    step = next(step for step in gate["steps"] if step.get("id") == "gate")
    assert step["run"].startswith("aegis gate ")
    install = next(step for step in gate["steps"] if step.get("name") == "Install the AegisSLO CLI")
    assert "pip install" in install["run"]


@pytest.mark.parametrize(
    ("slo", "code", "annotation", "decision"),
    [
        ("api-availability", 0, "::notice title=AegisSLO gate::ALLOW", "ALLOW"),
        ("billing-stale", 0, "::warning title=AegisSLO gate::WARN", "WARN"),
        ("checkout-fast-burn", 1, "::error title=AegisSLO gate::BLOCK", "BLOCK"),
    ],
)
async def test_github_gate_step_against_the_live_server(
    live: LiveServer, tmp_path: Path, slo: str, code: int, annotation: str, decision: str
) -> None:
    gate = github_workflow()["jobs"]["gate"]
    step = next(step for step in gate["steps"] if step.get("id") == "gate")
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs"
    env = {
        **base_env(),
        **{key: str(value) for key, value in gate["env"].items()},
        "AEGIS_URL": live.rest_url,
        "AEGIS_API_KEY": "k-from-secrets",
        "AEGIS_SLO": slo,
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(outputs),
    }
    got, out, err = await bash(step["run"], env)
    assert got == code, (out, err)
    assert annotation in out
    assert f"decision={decision}" in outputs.read_text().splitlines()
    assert summary.read_text().startswith(f"### AegisSLO gate: {decision} for `{slo}`")


def gitlab_pipeline() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((EXAMPLES / "gitlab-ci" / ".gitlab-ci.yml").read_text())
    return loaded


def test_gitlab_pipeline_gates_the_deploy_job() -> None:
    pipeline = gitlab_pipeline()
    assert pipeline["stages"] == ["gate", "deploy"]
    assert pipeline["aegis-gate"]["stage"] == "gate"
    assert pipeline["deploy"]["needs"] == ["aegis-gate"]
    assert pipeline["aegis-gate"]["allow_failure"] == {"exit_codes": [2]}


@pytest.mark.parametrize(
    ("slo", "code", "job"),
    [
        ("api-availability", 0, "passed"),
        ("billing-stale", 2, "passed with warnings"),
        ("checkout-fast-burn", 1, "failed"),
        ("no-such-slo", 3, "failed"),
    ],
)
async def test_gitlab_gate_job_against_the_live_server(
    live: LiveServer, slo: str, code: int, job: str
) -> None:
    pipeline = gitlab_pipeline()
    gate = pipeline["aegis-gate"]
    env = {
        **base_env(),
        **{key: str(value) for key, value in pipeline["variables"].items()},
        "AEGIS_URL": live.rest_url,
        "AEGIS_SLO": slo,
        "CI": "true",
    }
    got, out, err = await bash("\n".join(gate["script"]), env)
    assert got == code, (out, err)
    allowed = gate["allow_failure"]["exit_codes"]
    outcome = "passed" if got == 0 else "passed with warnings" if got in allowed else "failed"
    assert outcome == job
    assert out.startswith(("ALLOW", "WARN", "BLOCK")) if code != 3 else "could not decide" in err
