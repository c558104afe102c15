"""Done when: every way a pipeline calls the gate gets the same decision from one live server.

A Go program (clients/go/cmd/aegis-gate), a Node program (clients/ts/examples/decide.js), a
Python script (examples/python/decide.py), `aegis gate` over gRPC and over REST, `curl`,
`grpcurl`, Argo Rollouts' web metric provider (tests/argo, with the example AnalysisTemplate) and
a Flagger-shaped webhook call, each asked about the same SLOs of the session's server. Each tool's
answer is reduced to ALLOW, WARN or BLOCK the way its user would read it, and they must agree.

ghz is the follow-up: it arrives with branch i8-reflect-openapi (make tools installs it, and
reflection there resolves methods, which ghz needs). ghz reports status codes, not response
bodies, so its check is that the same server answers every call OK; it skips until ghz is there.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from tests._builds import ARGO_PROGRAM, GO_CLIENT, go_build
from tests._flagger import flagger_payload
from tests._requirements import missing
from tests.clients._process import run_tool
from tests.conftest import ROOT, LiveServer, require_binary

EXPECTED = {"api-availability": "ALLOW", "billing-stale": "WARN", "checkout-fast-burn": "BLOCK"}
ARGO_PHASE_TO_DECISION = {"Successful": "ALLOW", "Inconclusive": "WARN", "Failed": "BLOCK"}
TS_CLIENT = ROOT / "clients" / "ts"


def _first_word(output: str) -> str:
    return output.split(maxsplit=1)[0] if output.strip() else ""


@pytest.fixture(scope="module")
async def programs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    built = tmp_path_factory.mktemp("every-client")
    return {
        "go": await go_build(GO_CLIENT, "./cmd/aegis-gate", built / "aegis-gate"),
        "argo": await go_build(ARGO_PROGRAM, ".", built / "webmetric"),
    }


async def _decisions(live: LiveServer, programs: dict[str, Path], slo_id: str) -> dict[str, str]:
    env = dict(os.environ)
    answers: dict[str, str] = {}

    go_args = ("-server", live.grpc_target, "-slo", slo_id)
    _, out = await run_tool(str(programs["go"]), *go_args, cwd=ROOT, env=env)
    answers["Go program (aegis-gate)"] = _first_word(out)

    node = require_binary("node")
    if not (TS_CLIENT / "node_modules" / "@connectrpc" / "connect-node").is_dir():
        missing("clients/ts/node_modules is missing (make test runs npm ci there)")
    _, out = await run_tool(
        node, "examples/decide.js", f"http://{live.grpc_target}", slo_id, cwd=TS_CLIENT, env=env
    )
    answers["Node program (createAegisClient)"] = _first_word(out)

    _, out = await run_tool(
        sys.executable, "examples/python/decide.py", live.grpc_target, slo_id, cwd=ROOT, env=env
    )
    answers["Python script (AegisClient)"] = _first_word(out)

    for flag, where in (("--server", live.grpc_target), ("--url", live.rest_url)):
        _, out = await run_tool(
            sys.executable, "-m", "aegis.cli.main", "gate", flag, where, "--slo", slo_id, cwd=ROOT, env=env
        )
        answers[f"aegis gate {flag}"] = _first_word(out)

    curl = require_binary("curl")
    body = json.dumps({"sloID": slo_id})
    code, out = await run_tool(
        curl, "-sS", "-X", "POST", f"{live.rest_url}/v1/gate/decision",
        "-H", "Content-Type: application/json", "-d", body, cwd=ROOT, env=env,
    )  # fmt: skip
    answers["curl"] = json.loads(out)["decision"] if code == 0 else f"curl failed: {out}"

    grpcurl = require_binary("grpcurl", str(ROOT / ".cache" / "bin" / "grpcurl"))
    code, out = await run_tool(
        grpcurl, "-plaintext", "-d", body, live.grpc_target, "aegis.v1.GateService/Decide", cwd=ROOT, env=env
    )
    answers["grpcurl"] = json.loads(out)["evaluation"]["decision"] if code == 0 else f"grpcurl failed: {out}"

    _, out = await run_tool(
        str(programs["argo"]),
        "-template", str(ROOT / "examples" / "argo-rollouts" / "analysis-template.yaml"),
        "-url", live.rest_url, slo_id, cwd=ROOT, env=env,
    )  # fmt: skip
    phase = json.loads(out.splitlines()[-1])["phase"]
    answers["Argo Rollouts web provider"] = ARGO_PHASE_TO_DECISION.get(phase, f"phase {phase}")

    response = await live.rest.post(
        "/v1/gate/flagger", json=flagger_payload("Progressing", {"sloID": slo_id, "failOn": "warn"})
    )
    # 200 carries the decision; a failing hook's google.rpc.Status message starts with it.
    hook = response.json()
    answers["Flagger webhook"] = hook["decision"] if response.is_success else _first_word(hook["message"])
    return answers


@pytest.mark.external
@pytest.mark.timeout(900)  # cold Go caches build client-go and grpc-go first
@pytest.mark.parametrize(("slo_id", "decision"), sorted(EXPECTED.items()))
async def test_every_client_gets_the_same_decision(
    live: LiveServer, programs: dict[str, Path], slo_id: str, decision: str
) -> None:
    answers = await _decisions(live, programs, slo_id)
    assert len(answers) == 9, sorted(answers)
    disagreeing = {tool: answer for tool, answer in answers.items() if answer != decision}
    assert not disagreeing, f"{slo_id}: expected {decision} from every client, got {answers}"


@pytest.mark.external
async def test_ghz_reaches_the_same_server(live: LiveServer) -> None:
    """FOLLOW-UP (i8-reflect-openapi): runs once ghz is installed and reflection resolves methods."""
    ghz = shutil.which("ghz") or shutil.which(str(ROOT / ".cache" / "bin" / "ghz"))
    if ghz is None:
        pytest.skip("follow-up: ghz is not installed here (branch i8-reflect-openapi adds it to make tools)")
    for slo_id in EXPECTED:
        code, out = await run_tool(
            ghz, "--insecure", "--call", "aegis.v1.GateService.Decide", "-d", json.dumps({"sloID": slo_id}),
            "-n", "3", "-c", "1", "--format", "json", live.grpc_target, cwd=ROOT, env=dict(os.environ),
        )  # fmt: skip
        if "Symbol not found" in out:
            pytest.skip("follow-up: reflection here cannot resolve methods for ghz (grpc/grpc#34743)")
        assert code == 0, out
        report = json.loads(out)
        assert report["statusCodeDistribution"] == {"OK": 3}, report
