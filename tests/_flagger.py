"""Flagger's side of a webhook call, from its source (fluxcd/flagger v1.36.1).

pkg/controller/webhook.go: CallWebhook marshals flaggerv1.CanaryWebhookPayload
(pkg/apis/flagger/v1beta1/canary.go: `name`, `namespace`, `phase`, `checksum`, and `metadata`
with omitempty) and POSTs it as application/json; callWebhook fails the hook when
`r.StatusCode > 202`, with the response body as the error.
"""

from __future__ import annotations

from typing import Any

CHECKSUM = "5f7b6c9d8"  # canary.ComputeHash of the tracked configs: opaque to the gate


def flagger_payload(
    phase: str, metadata: dict[str, str] | None, name: str = "podinfo", namespace: str = "test"
) -> dict[str, Any]:
    """What json.Marshal makes of a CanaryWebhookPayload (metadata is omitempty)."""
    payload: dict[str, Any] = {"name": name, "namespace": namespace, "phase": phase, "checksum": CHECKSUM}
    if metadata:
        payload["metadata"] = metadata
    return payload


def flagger_passes(status_code: int) -> bool:
    """webhook.go: `if r.StatusCode > 202 { return errors.New(string(b)) }`."""
    return status_code <= 202
