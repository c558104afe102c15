"""The one place where tests write SLO YAML files: documents in, files out.

Tests describe SLOs in the documented layout (the seed README's: ``metadata.id/service/owner``,
``spec.environment``, ``spec.complianceWindow``, ``sli.good.prometheusQuery``,
``spec.burnPolicy.rules``, ``spec.gating``), built by ``documented_slo`` and written as they are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

Document = dict[str, Any]

# The synthetic adapter reads the fixture named after the SLO id whatever the query says.
_GOOD_QUERY = 'sum(rate(http_requests_total{service="SERVICE",code!~"5.."}[{{window}}]))'
_TOTAL_QUERY = 'sum(rate(http_requests_total{service="SERVICE"}[{{window}}]))'


def documented_slo(
    slo_id: str,
    *,
    service: str,
    environment: str,
    objective: float = 0.995,
    owner: str = "test-team",
) -> Document:
    """An SLO in the seed README's layout, with one fast-burn rule (5m/1h) over 30 days."""
    return {
        "apiVersion": "aegis.slo/v1",
        "kind": "SLO",
        "metadata": {"id": slo_id, "service": service, "owner": owner},
        "spec": {
            "environment": environment,
            "objective": objective,
            "complianceWindow": "30d",
            "evaluationInterval": "5m",
            "sli": {
                "type": "availability",
                "good": {"prometheusQuery": _GOOD_QUERY.replace("SERVICE", service)},
                "total": {"prometheusQuery": _TOTAL_QUERY.replace("SERVICE", service)},
            },
            "burnPolicy": {
                "rules": [{"name": "fast-burn", "shortWindow": "5m", "longWindow": "1h", "threshold": 14.4}]
            },
            "gating": {"minDataPoints": 1, "stalenessLimit": "10m"},
        },
    }


def write_slo(directory: Path, document: Document) -> Path:
    """``DIR/<metadata.id>.yaml``, loadable by the server's SLO loader."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{document['metadata']['id']}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path
