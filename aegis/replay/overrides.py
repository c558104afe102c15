"""``--set rules[0].threshold=10``: try another policy on the same history.

The grammar is small on purpose::

    override := path "=" value
    path     := segment ("." segment)*          e.g. rules[fast-burn].threshold
    segment  := name ("[" (index | rule-name) "]")?
    value    := a YAML scalar: 10, 0.999, 5m, WARN, true

Paths are the SLO file's fields (docs/slo-format.md) below ``spec``, which may be left out;
``rules`` is short for ``burnPolicy.rules`` and a rule is picked by position or by name. Only
the policy can change, never the SLI's queries or the metadata: a replay runs the SLO's own
queries, so a key that may replay cannot make the server send the backend a query of its own.
The changed SLO is written as a document of our format and checked by its schema and model
checks, so an override is held to exactly what a file is.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import Any

import yaml

from aegis.spec.checks import slo_issues
from aegis.spec.document import aegis_document
from aegis.spec.formats.aegis_v1 import AEGIS_V1
from aegis.spec.model import SLO
from aegis.spec.problems import format_path, shorten

MAX_OVERRIDES = 20
MAX_LENGTH = 300
_SEGMENT = re.compile(r"([A-Za-z][A-Za-z0-9]*)(?:\[([^\]]{1,128})\])?")
# File paths below spec that may be set; "*" is any rule.
SETTABLE: tuple[tuple[str | int, ...], ...] = (
    ("objective",),
    ("complianceWindow",),
    ("burnPolicy", "rules", "*", "threshold"),
    ("burnPolicy", "rules", "*", "shortWindow"),
    ("burnPolicy", "rules", "*", "longWindow"),
    ("burnPolicy", "rules", "*", "action"),
    ("budgetPolicy", "blockBelow"),
    ("budgetPolicy", "warnBelow"),
    ("gating", "minDataPoints"),
    ("gating", "stalenessLimit"),
)
_SHOWN = ", ".join(
    ".".join(str(p) for p in path).replace(".*.", "[N].").replace("burnPolicy.rules", "rules")
    for path in SETTABLE
)


class OverrideError(ValueError):
    """An override that cannot be applied; the message quotes it and says what was expected."""


def apply_overrides(slo: SLO, overrides: Sequence[str]) -> SLO:
    """``slo`` with every override applied, checked as a file would be; OverrideError otherwise."""
    if not overrides:
        return slo
    if len(overrides) > MAX_OVERRIDES:
        raise OverrideError(f"at most {MAX_OVERRIDES} overrides, got {len(overrides)}")
    document = aegis_document(slo)
    for text in overrides:
        _apply(document, text)
    issues = AEGIS_V1.structure_issues(document)
    built = [] if issues else AEGIS_V1.build(document, slo.source_file)
    for candidate in built:
        issues += slo_issues(candidate.slo, candidate.fields)
    if issues:
        found = "; ".join(f"{format_path(i.path)}: {i.message}" for i in issues[:5])
        raise OverrideError(f"the SLO with {', '.join(map(repr, overrides))} is not valid: {found}")
    return dataclasses.replace(built[0].slo, api_version=slo.api_version)


def _apply(document: dict[str, Any], text: str) -> None:
    if len(text) > MAX_LENGTH:
        raise OverrideError(f"override {shorten(text, 60)!r}: longer than {MAX_LENGTH} characters")
    path_text, equals, value_text = text.partition("=")
    if not equals:
        raise OverrideError(f"override {text!r}: expected PATH=VALUE, e.g. rules[0].threshold=10")
    path = _path(path_text.strip(), document, text)
    if tuple("*" if isinstance(part, int) else part for part in path) not in SETTABLE:
        raise OverrideError(f"override {text!r}: only these fields can be set: {_SHOWN}")
    _assign(document["spec"], path, _scalar(value_text.strip(), text))


def _path(text: str, document: dict[str, Any], original: str) -> tuple[str | int, ...]:
    """The path below ``spec``, list positions resolved (a rule name becomes its index)."""
    segments = text.split(".")
    if segments[0] == "spec":
        segments = segments[1:]
    elif segments[0] == "metadata":
        raise OverrideError(f"override {original!r}: metadata cannot be changed, only the policy")
    path: list[str | int] = []
    for segment in segments:
        match = _SEGMENT.fullmatch(segment)
        if match is None:
            raise OverrideError(f"override {original!r}: {segment!r} is not a field name like rules[0]")
        name, selector = match.groups()
        path += ["burnPolicy", "rules"] if name == "rules" and not path else [name]
        if selector is not None:
            path.append(_position(document["spec"], path, selector, original))
    return tuple(path)


def _position(spec: dict[str, Any], path: list[str | int], selector: str, original: str) -> int:
    items = _walk(spec, path)
    if not isinstance(items, list):
        raise OverrideError(f"override {original!r}: {format_path(tuple(path))} is not a list")
    if selector.isdigit():
        if int(selector) >= len(items):
            where = format_path(tuple(path))
            raise OverrideError(f"override {original!r}: no item {selector} ({len(items)} in {where})")
        return int(selector)
    names = [item.get("name") for item in items if isinstance(item, dict)]
    if selector not in names:
        raise OverrideError(
            f"override {original!r}: no rule named {selector!r}; rules: {', '.join(map(str, names))}"
        )
    return names.index(selector)


def _walk(node: Any, path: Sequence[str | int]) -> Any:
    for part in path:
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) and part < len(node) else None
        else:
            node = node.get(part) if isinstance(node, dict) else None
    return node


def _assign(spec: dict[str, Any], path: tuple[str | int, ...], value: object) -> None:
    """Set the leaf; a missing optional mapping on the way (budgetPolicy) is created."""
    node: Any = spec
    for part in path[:-1]:
        if isinstance(part, str) and part not in node:
            node[part] = {}
        node = node[part]
    node[path[-1]] = value


def _scalar(text: str, original: str) -> object:
    try:
        value = yaml.safe_load(text) if text else None
    except yaml.YAMLError:
        value = None
    if isinstance(value, bool | int | float | str) and not isinstance(value, type(None)):
        return value
    raise OverrideError(f"override {original!r}: expected a value such as 10, 0.999, 5m or WARN")
