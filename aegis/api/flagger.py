"""What a Flagger webhook asks the gate: read from the webhook's ``metadata``.

Flagger (fluxcd/flagger v1.36.1, pkg/controller/webhook.go) POSTs
``{name, namespace, phase, checksum, metadata}`` to a webhook and lets the canary proceed only
when the status is 202 or lower; anything else halts it (confirm-rollout: waits; pre-rollout and
rollout: counts a failed check toward rollback). The Canary's webhook says what to gate on:

    metadata:
      sloID: checkout-availability     # or: service + environment (worst decision wins)
      failOn: warn                     # optional: block (the default) or warn
      fresh: "true"                    # optional: evaluate now instead of the latest evaluation
      deploymentID: checkout-v42       # optional, for the audit; also commit, pipelineURL, caller

Metadata values are strings in a Canary (``map[string]string``). An unknown key is refused with
a suggestion, like an unknown SLO field: a typo must not silently gate on nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from aegis.spec.model import Decision
from aegis.spec.suggest import closest_name

__all__ = ["METADATA_KEYS", "FlaggerGate", "parse_metadata"]

# Recorded with the gate request in the audit (aegis.api.servicers fills in Flagger's defaults).
DEPLOYMENT_KEYS = ("deploymentID", "commit", "pipelineURL", "caller")
METADATA_KEYS = ("sloID", "service", "environment", "failOn", "fresh", *DEPLOYMENT_KEYS)
_FAIL_ON = {"block": Decision.BLOCK, "warn": Decision.WARN}
_BOOLEANS = {"true": True, "false": False}

T = TypeVar("T")


@dataclass(frozen=True)
class FlaggerGate:
    slo_id: str | None
    service: str | None
    environment: str | None
    # The least severe decision that fails the webhook.
    fail_on: Decision = Decision.BLOCK
    fresh: bool = False
    # deploymentID, commit, pipelineURL, caller as the metadata gives them (absent keys absent).
    deployment: dict[str, str] = field(default_factory=dict)

    def fails(self, decision: Decision) -> bool:
        return decision.severity >= self.fail_on.severity

    @property
    def target(self) -> str:
        return self.slo_id or f"{self.service}/{self.environment}"


def parse_metadata(metadata: Mapping[str, str]) -> FlaggerGate:
    """The gate a webhook's metadata describes; ValueError says which key is wrong and what was expected."""
    for key in metadata:
        if key not in METADATA_KEYS:
            hint = closest_name(key, METADATA_KEYS)
            suggestion = f"; did you mean {hint!r}?" if hint else ""
            raise ValueError(
                f"unknown webhook metadata key {key!r}{suggestion} (expected: {', '.join(METADATA_KEYS)})"
            )
    slo_id = metadata.get("sloID", "").strip() or None
    service = metadata.get("service", "").strip() or None
    environment = metadata.get("environment", "").strip() or None
    if slo_id and (service or environment):
        raise ValueError("webhook metadata names sloID and service/environment: name one, not both")
    if not slo_id and not (service and environment):
        raise ValueError("webhook metadata must name sloID, or both service and environment")
    return FlaggerGate(
        slo_id,
        service,
        environment,
        fail_on=_choice(metadata, "failOn", _FAIL_ON, Decision.BLOCK),
        fresh=_choice(metadata, "fresh", _BOOLEANS, False),
        deployment={key: metadata[key].strip() for key in DEPLOYMENT_KEYS if metadata.get(key, "").strip()},
    )


def _choice(metadata: Mapping[str, str], key: str, choices: Mapping[str, T], default: T) -> T:
    raw = metadata.get(key)
    if raw is None or not raw.strip():
        return default
    value = choices.get(raw.strip().lower())
    if value is None:
        raise ValueError(f"webhook metadata {key} must be {' or '.join(choices)}, got {raw!r}")
    return value
