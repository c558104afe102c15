"""The SLO file formats the loader reads, asked in turn which one claims a document.

Adding a format is a new module with a ``Format`` (see ``base``) and one line
in ``FORMATS``; the loader, the model checks and the rest of the server do not change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aegis.spec.formats.aegis_v1 import AEGIS_V1
from aegis.spec.formats.base import Built, FieldMap, Format, ModelPath
from aegis.spec.problems import FieldIssue, describe_value
from aegis.spec.suggest import did_you_mean

__all__ = ["FORMATS", "Built", "FieldMap", "Format", "ModelPath", "format_for", "unclaimed_issues"]

# The first format also reads documents that have no apiVersion, to report it missing with the rest.
FORMATS: tuple[Format, ...] = (AEGIS_V1,)


def format_for(document: Mapping[str, Any], formats: tuple[Format, ...] = FORMATS) -> Format | None:
    """The first format that claims ``document``; None when its apiVersion is nobody's."""
    for candidate in formats:
        if candidate.claims(document):
            return candidate
    if "apiVersion" not in document and formats:
        return formats[0]
    return None


def unclaimed_issues(document: Mapping[str, Any], formats: tuple[Format, ...] = FORMATS) -> list[FieldIssue]:
    """One problem for a document no format claims: its apiVersion, and what would have been read."""
    known = [version for candidate in formats for version in candidate.api_versions]
    found = document.get("apiVersion")
    message = (
        f"expected one of {', '.join(repr(v) for v in known)}, found {describe_value(found)}"
        + did_you_mean(found, known)
    )
    return [FieldIssue(("apiVersion",), message)]
