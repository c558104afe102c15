"""``aegis.slo/*`` annotations: what an OpenSLO SLO cannot say in OpenSLO's own fields.

OpenSLO reserves annotations for implementation-specific metadata; ours carry the gate's settings
(docs/formats.md#what-the-gate-adds). Ours are checked like fields, with a "did you mean";
annotations of other tools are theirs, and left alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aegis.spec.durations import DurationError, Window
from aegis.spec.problems import FieldIssue, FieldPath, describe_value
from aegis.spec.suggest import did_you_mean

ANNOTATION_PREFIX = "aegis.slo/"
ANNOTATIONS = ("environment", "evaluation-interval", "staleness-limit", "min-data-points")


def aegis_annotations(metadata: Mapping[str, Any]) -> dict[str, str]:
    """The SLO's ``aegis.slo/*`` annotations, without the prefix."""
    annotations: Mapping[str, str] = metadata.get("annotations") or {}
    return {
        key.removeprefix(ANNOTATION_PREFIX): value
        for key, value in annotations.items()
        if key.startswith(ANNOTATION_PREFIX)
    }


def annotation_issues(document: Mapping[str, Any]) -> list[FieldIssue]:
    """Our own ``aegis.slo/*`` annotations are checked; other tools' annotations are theirs."""
    issues: list[FieldIssue] = []
    for name, value in aegis_annotations(document["metadata"]).items():
        path: FieldPath = ("metadata", "annotations", ANNOTATION_PREFIX + name)
        if name not in ANNOTATIONS:
            known = ", ".join(ANNOTATION_PREFIX + a for a in ANNOTATIONS)
            issues.append(
                FieldIssue(
                    path,
                    f"unknown AegisSLO annotation; expected one of: {known}"
                    + did_you_mean(name, ANNOTATIONS),
                )
            )
        elif name in ("evaluation-interval", "staleness-limit"):
            try:
                Window.parse(value)
            except DurationError as err:
                issues.append(FieldIssue(path, str(err)))
        elif name == "min-data-points" and not (value.isdigit() and len(value) <= 4):
            found = describe_value(value)
            issues.append(FieldIssue(path, f"expected a whole number such as '10', found {found}"))
        elif name == "environment" and not 1 <= len(value) <= 64:
            issues.append(FieldIssue(path, "expected an environment name of 1 to 64 characters"))
    return issues


def duration(options: Mapping[str, str], name: str, default: Window) -> Window:
    return Window.parse(options[name]) if name in options else default
