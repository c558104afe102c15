"""The SLO file formats the loader reads, asked in turn which one claims a document.

Adding a format is a new module with a ``Format`` (see ``base``) and one line
in ``FORMATS``; the loader, the model checks and the rest of the server do not change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeGuard

from aegis.spec.formats.aegis_v1 import AEGIS_V1
from aegis.spec.formats.base import Built, FieldMap, FileAware, Format, ModelPath
from aegis.spec.formats.openslo_v1 import OPENSLO_V1
from aegis.spec.formats.sloth_v1 import SLOTH_V1
from aegis.spec.problems import FieldIssue, describe_value
from aegis.spec.suggest import did_you_mean

__all__ = [
    "FORMATS",
    "Built",
    "FieldMap",
    "FileAware",
    "Format",
    "ModelPath",
    "for_file",
    "format_for",
    "is_file_aware",
    "unclaimed_issues",
]

# The first format also reads documents that have no apiVersion, to report it missing with the rest.
# Sloth claims documents by its own ``version`` field (it has no apiVersion): docs/formats.md.
FORMATS: tuple[Format, ...] = (AEGIS_V1, OPENSLO_V1, SLOTH_V1)


def for_file(formats: tuple[Format, ...], documents: Sequence[object]) -> tuple[Format, ...]:
    """The formats as they read one file: a format whose documents refer to each other (an
    OpenSLO SLO naming an SLI by ``indicatorRef``) learns the file's other documents first."""
    return tuple(f.for_file(documents) if is_file_aware(f) else f for f in formats)


def is_file_aware(candidate: object) -> TypeGuard[FileAware]:
    """``isinstance(candidate, FileAware)``, answered once per class: a Protocol check inspects
    every member each time (a tenth of the load time of 10,000 files, asked four times per file)."""
    kind = type(candidate)
    known = _FILE_AWARE.get(kind)
    if known is None:
        known = _FILE_AWARE[kind] = issubclass(kind, FileAware)
    return known


_FILE_AWARE: dict[type, bool] = {}


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
    known = [
        version
        for candidate in formats
        if getattr(candidate, "version_field", "apiVersion") == "apiVersion"
        for version in candidate.api_versions
    ]
    found = document.get("apiVersion")
    others = [
        f" (or {candidate.name}'s {field}: {', '.join(candidate.api_versions)} without an apiVersion)"
        for candidate in formats
        if (field := getattr(candidate, "version_field", "apiVersion")) != "apiVersion"
    ]
    message = (
        f"expected one of {', '.join(repr(v) for v in known)}{''.join(others)}, found {describe_value(found)}"
        + did_you_mean(found, [*known, *(v for c in formats for v in c.api_versions)])
    )
    return [FieldIssue(("apiVersion",), message)]
