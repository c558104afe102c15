"""examples/argo-rollouts, run by Argo Rollouts' own web metric provider against the live server.

tests/argo is a Go program that requires github.com/argoproj/argo-rollouts (v1.10.1, go.mod)
and runs metricproviders/webmetric with the example template's metric, as the analysis
controller would for one measurement (see its doc comment). ALLOW must be Successful, BLOCK
Failed, WARN Inconclusive; an unknown SLO is an Error measurement (404). It also reads the
example Rollout with Argo's types and checks each analysis step's args against the template.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests._builds import ARGO_PROGRAM, go_build
from tests.clients._process import run_tool
from tests.conftest import ROOT, LiveServer

EXAMPLE = ROOT / "examples" / "argo-rollouts"
EXPECTED_PHASES = {
    "api-availability": ("Successful", '"ALLOW"'),
    "checkout-fast-burn": ("Failed", '"BLOCK"'),
    "billing-stale": ("Inconclusive", '"WARN"'),
    "no-such-slo": ("Error", ""),
}


@pytest.fixture(scope="module")
async def webmetric(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return await go_build(ARGO_PROGRAM, ".", tmp_path_factory.mktemp("argo") / "webmetric")


def _lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


@pytest.mark.external
@pytest.mark.timeout(900)  # a cold module cache downloads and compiles client-go first
async def test_argo_web_provider_maps_each_decision_to_its_phase(live: LiveServer, webmetric: Path) -> None:
    code, output = await run_tool(
        str(webmetric),
        "-template",
        str(EXAMPLE / "analysis-template.yaml"),
        "-rollout",
        str(EXAMPLE / "rollout.yaml"),
        "-url",
        live.rest_url,
        *EXPECTED_PHASES,
        cwd=ROOT,
        env=dict(os.environ),
    )
    assert code == 0, output
    lines = _lines(output)
    steps = [line for line in lines if "rolloutStep" in line]
    assert [step["args"] for step in steps] == [["slo-id"], ["slo-id"]], output
    measured = {line["sloID"]: (line["phase"], line["value"]) for line in lines if "sloID" in line}
    assert measured == EXPECTED_PHASES, output
    error = next(line for line in lines if line.get("sloID") == "no-such-slo")
    assert error["message"] == "received non 2xx response code: 404"


def test_the_template_says_what_the_issue_asks_for() -> None:
    template = yaml.safe_load((EXAMPLE / "analysis-template.yaml").read_text())
    (metric,) = template["spec"]["metrics"]
    web = metric["provider"]["web"]
    assert web["jsonPath"] == "{$.decision}"
    assert metric["successCondition"] == 'result == "ALLOW"'
    assert metric["failureCondition"] == 'result == "BLOCK"'
    assert web["method"] == "POST" and web["url"].endswith("/v1/gate/decision")
    assert web["jsonBody"] == {"sloID": "{{args.slo-id}}", "forceFresh": True}
    assert [arg["name"] for arg in template["spec"]["args"]] == ["slo-id", "aegis-url"]
