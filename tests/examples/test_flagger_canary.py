"""examples/flagger/canary.yaml: its webhooks read as Flagger reads them, then called as Flagger calls.

Field names and hook types come from Flagger v1.36.1's pkg/apis/flagger/v1beta1/canary.go
(CanaryWebhook's json tags; HookType constants); the call is the payload of
pkg/controller/webhook.go CallWebhook with the phase each hook type sends, and its pass rule
(status <= 202). The example's SLO ids are swapped for fixtures that ALLOW or BLOCK.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from aegis.api.flagger import METADATA_KEYS
from tests._flagger import flagger_passes, flagger_payload
from tests.conftest import ROOT, LiveServer

CANARY = ROOT / "examples" / "flagger" / "canary.yaml"
# CanaryWebhook's json tags.
WEBHOOK_FIELDS = {"type", "name", "url", "muteAlert", "timeout", "metadata", "retries"}
HOOK_TYPES = {
    "rollout",
    "pre-rollout",
    "post-rollout",
    "confirm-rollout",
    "confirm-promotion",
    "confirm-traffic-increase",
    "event",
    "rollback",
}
# What phase CallWebhook sends per hook type (scheduler_hooks.go; confirm-rollout: the canary's own).
PHASE = {"confirm-rollout": "Waiting", "pre-rollout": "Progressing", "rollout": "Progressing"}
GO_DURATION = re.compile(r"([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+")


def canary() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(CANARY.read_text())
    return loaded


def webhooks() -> list[dict[str, Any]]:
    hooks: list[dict[str, Any]] = canary()["spec"]["analysis"]["webhooks"]
    return hooks


def test_the_canary_webhooks_are_what_flagger_reads() -> None:
    document = canary()
    assert (document["apiVersion"], document["kind"]) == ("flagger.app/v1beta1", "Canary")
    assert {hook["type"] for hook in webhooks()} == set(PHASE)
    for hook in webhooks():
        assert set(hook) <= WEBHOOK_FIELDS, hook
        assert hook["type"] in HOOK_TYPES
        assert hook["url"].endswith("/v1/gate/flagger")
        assert GO_DURATION.fullmatch(hook["timeout"]), "Flagger parses timeout with time.ParseDuration"
        assert set(hook["metadata"]) <= set(METADATA_KEYS)
        assert all(isinstance(value, str) for value in hook["metadata"].values()), (
            "metadata is map[string]string"
        )


def _gate_on(metadata: dict[str, str], slo_id: str, service: str) -> dict[str, str]:
    swapped = dict(metadata)
    if "sloID" in swapped:
        swapped["sloID"] = slo_id
    if "service" in swapped:
        swapped["service"] = service
    return swapped


@pytest.mark.parametrize(
    ("slo_id", "service", "passes"),
    [("api-availability", "api-gateway", True), ("checkout-fast-burn", "checkout", False)],
    ids=["allow", "block"],
)
@pytest.mark.parametrize("hook_name", [hook["name"] for hook in webhooks()])
async def test_each_canary_webhook_against_the_live_server(
    live: LiveServer, tmp_path: Path, hook_name: str, slo_id: str, service: str, passes: bool
) -> None:
    hook = next(hook for hook in webhooks() if hook["name"] == hook_name)
    meta = canary()["metadata"]
    payload = flagger_payload(
        PHASE[hook["type"]], _gate_on(hook["metadata"], slo_id, service), meta["name"], meta["namespace"]
    )
    response = await live.rest.post(
        "/v1/gate/flagger", json=payload, headers={"Content-Type": "application/json"}
    )
    assert flagger_passes(response.status_code) is passes, response.text
    if not passes:
        assert response.json()["message"].startswith("BLOCK ")
