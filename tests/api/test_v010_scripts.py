"""v0.1.0's example scripts, run as users run them: bash, curl, jq, against live servers.

`examples/v0.1.0/` holds v0.1.0's `api-usage.sh` and `github-actions-gate.yml` byte for byte
(pinned by hash below); they run against live servers on loopback ports, and every field
they ask for must print a value.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.api.conftest import COMPAT_DECISIONS, COMPAT_SLOS
from tests.clients._process import run_tool
from tests.conftest import ROOT, LiveServer, require_binary

EXAMPLES = ROOT / "examples" / "v0.1.0"
# sha256 of the files in v0.1.0 (../shared/seed/examples): the copies are never edited.
PINNED = {
    "api-usage.sh": "1befbae359ba6e1d989c3798b45c2cfb499e3b5a54831c256e9feb36f60fcf31",
    "github-actions-gate.yml": "0688c063a703fa013f392b94e8ec66c1de06d071142717508656dae96445ec64",
}
GHA_URL = "https://aegis-slo.yourcompany.com"


@pytest.fixture(scope="module")
def shell_tools() -> dict[str, str]:
    """bash, curl and jq, which `make test` installs (system-deps)."""
    tools = {name: require_binary(name) for name in ("bash", "curl", "jq")}
    return {"PATH": os.pathsep.join(dict.fromkeys(str(Path(p).parent) for p in tools.values()))}


async def _bash(script: str, cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    return await run_tool("bash", "-e", "-c", script, cwd=cwd, env={**os.environ, **env})


def _filled(value: object) -> bool:
    """A value a script can use: not null, not an empty string, list or object."""
    return value is not None and value != "" and value != [] and value != {}


def _documents(text: str) -> list[Any]:
    """The JSON values jq printed, one after another."""
    decoder, values, index = json.JSONDecoder(), [], 0
    while index < len(text):
        if text[index].isspace():
            index += 1
            continue
        value, index = decoder.raw_decode(text, index)
        values.append(value)
    return values


def _sections(output: str) -> dict[int, str]:
    """api-usage.sh's output split at its "N. Title" lines: number -> what followed."""
    parts = re.split(r"^(\d+)\. .*$", output, flags=re.MULTILINE)
    return {int(number): body for number, body in zip(parts[1::2], parts[2::2], strict=True)}


def test_examples_are_v010s_byte_for_byte() -> None:
    for name, digest in PINNED.items():
        assert hashlib.sha256((EXAMPLES / name).read_bytes()).hexdigest() == digest, name


async def test_api_usage_script_prints_a_value_for_every_field_it_asks_for(
    compat_live: LiveServer, shell_tools: dict[str, str], tmp_path: Path
) -> None:
    code, output = await run_tool(
        "bash",
        str(EXAMPLES / "api-usage.sh"),
        cwd=tmp_path,
        env={**os.environ, **shell_tools, "AEGIS_URL": compat_live.rest_url},
    )
    assert code == 0, output  # its last step: test-slo ALLOWs, "Gate PASSED"
    sections = _sections(output)
    assert sorted(sections) == list(range(1, 13)), output
    (health,), (ready,), (slo_list,), (slo,) = (_documents(sections[n]) for n in (1, 2, 3, 4))
    assert health == {"status": "ok"}
    assert ready["ready"] is True and ready["slosLoaded"] == len(COMPAT_SLOS), ready
    assert isinstance(ready["reasons"], list)
    for summary in slo_list["slos"]:
        assert all(_filled(summary[key]) for key in ("id", "service", "environment", "objective")), summary
    assert slo["id"] == "test-slo" and slo["service"] == "test-service" and slo["environment"] == "production"
    for number in (5, 6):
        (decision,) = _documents(sections[number])
        _assert_v010_decision(decision)
    _assert_projections(sections[7], ("id", "sloID", "decision", "timestamp"))
    _assert_projections(sections[8], ("decision", "sli", "timestamp"))
    blocks = _assert_projections(sections[9], ("sloID", "reasons", "timestamp"))
    assert {record["sloID"] for record in blocks} <= {"test-burn", "api-availability"}
    (last_hour,) = _documents(sections[10])
    assert isinstance(last_hour, int) and last_hour > 0
    (state,) = _documents(sections[11])
    for key in ("service", "environment", "slos", "decisions", "lastUpdated"):
        assert _filled(state[key]), (key, state)
    assert state["slos"] == ["test-burn", "test-quiet", "test-slo"]
    assert state["decisions"] == {slo_id: COMPAT_DECISIONS[slo_id] for slo_id in state["slos"]}
    assert "Decision: ALLOW" in sections[12] and "Gate PASSED" in sections[12]


def _assert_v010_decision(decision: dict[str, Any]) -> None:
    """Every field of v0.1.0's decision response, with a value."""
    assert decision["sloID"] == "test-slo" and decision["decision"] == "ALLOW"
    for key in ("timestamp", "ttl", "sli", "reasons", "burnRates"):
        assert _filled(decision[key]), (key, decision)
    assert all(_filled(decision["sli"][key]) for key in ("value", "errorRate", "budgetRemaining")), decision
    assert decision["isStale"] is False and decision["hasNoTraffic"] is False


def _assert_projections(section: str, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """jq's `.records[] | {a, b}` objects: at least one, each with a value for every key."""
    records = _documents(section)
    assert records, f"nothing printed for {keys}"
    for record in records:
        assert list(record) == list(keys)
        assert all(_filled(record[key]) for key in keys), record
    return records


# --- v0.1.0's GitHub Actions gate -------------------------------------------------------------------


def _workflow_step(job: str, name: str, base_url: str) -> str:
    """One `run:` script of the workflow, with the placeholder host pointed at the live server."""
    workflow = yaml.safe_load((EXAMPLES / "github-actions-gate.yml").read_text())
    (step,) = [s for s in workflow["jobs"][job]["steps"] if s.get("name") == name]
    script: str = step["run"]
    assert GHA_URL in script
    return script.replace(GHA_URL, base_url)


@pytest.mark.parametrize(("server", "decision"), [("live", "ALLOW"), ("compat_live", "BLOCK")])
async def test_github_actions_gate_reads_sli_value_and_reasons(
    live: LiveServer,
    compat_live: LiveServer,
    shell_tools: dict[str, str],
    tmp_path: Path,
    server: str,
    decision: str,
) -> None:
    base_url = {"live": live, "compat_live": compat_live}[server].rest_url
    outputs, summary = tmp_path / "outputs", tmp_path / "summary"
    env = {**shell_tools, "GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(summary)}
    # GitHub runs `run:` scripts with `bash -e`, as _bash does.
    step = _workflow_step("slo-gate-check", "Check SLO Gate", base_url)
    code, output = await _bash(step, tmp_path, env)
    assert code == (1 if decision == "BLOCK" else 0), output
    written = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    assert written["decision"] == decision
    assert written["sli"] not in ("", "null") and float(written["sli"]) >= 0
    assert written["reasons"] not in ("", "null")
    if decision == "ALLOW":
        assert written["reasons"] == "all burn rate checks passed"
    assert f"SLO Gate Decision: {decision}" in summary.read_text()


async def test_github_actions_audit_snapshot_has_decision_timestamp_and_sli(
    live: LiveServer, shell_tools: dict[str, str], tmp_path: Path
) -> None:
    await live.app.audit.flush()
    script = _workflow_step("deploy", "Record Deployment in Audit", live.rest_url)
    code, output = await _bash(script, tmp_path, shell_tools)
    assert code == 0, output
    snapshot = json.loads((tmp_path / "deployment-slo-snapshot.json").read_text())
    assert list(snapshot) == ["decision", "timestamp", "sli"]
    assert all(_filled(value) for value in snapshot.values()), snapshot
    assert set(snapshot["sli"]) == {"value", "errorRate", "budgetRemaining", "window"}
