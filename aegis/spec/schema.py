"""JSON Schemas for SLO documents, and their errors reworded for people.

A format's schema (ours is ``slo_v1.json``, shipped in the package and linked
from ``schemas/``) is the single source of truth for its structure: fields,
types, ranges, enums and unknown fields. jsonschema's own messages dump Python
reprs of whole subtrees; here each error becomes "expected X, found Y" on the
field's own path, using the schema's ``errorMessage`` annotation where it has
one, and a found value is never quoted beyond a short snippet.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, ValidationError  # type: ignore[import-untyped]

from aegis.spec.problems import FieldIssue, describe_value, shorten
from aegis.spec.suggest import closest_name, did_you_mean

_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
}


@functools.cache
def packaged_schema(resource: str) -> Mapping[str, Any]:
    """A schema shipped in ``aegis.spec``. Cached: the files are immutable."""
    text = resources.files("aegis.spec").joinpath(resource).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.cache
def _validator(resource: str) -> Draft202012Validator:
    return Draft202012Validator(packaged_schema(resource))


@functools.cache
def _fast_check(resource: str) -> Callable[[object], bool] | None:
    """A compiled yes/no check of ``resource`` (jsonschema-rs, about 100x faster), if installed."""
    try:
        import jsonschema_rs  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    check: Callable[[object], bool] = jsonschema_rs.validator_for(dict(packaged_schema(resource))).is_valid
    return check


def schema_issues(document: object, resource: str) -> list[FieldIssue]:
    """Every violation of the packaged schema ``resource`` in ``document``, not just the first.

    A document the fast check accepts has none. Anything else (rejected, or a value it cannot
    take, such as a YAML date or a non-string key) goes through jsonschema, whose errors are
    reworded below: the fast check only ever decides that there is nothing to say.
    """
    fast = _fast_check(resource)
    if fast is not None:
        try:
            if fast(document):
                return []
        except Exception:  # A value it cannot convert: jsonschema decides.
            pass
    issues: list[FieldIssue] = []
    for error in _validator(resource).iter_errors(document):
        issues.extend(_reworded(error))
    return issues


def _reworded(error: ValidationError) -> list[FieldIssue]:
    path = tuple(error.absolute_path)
    schema: Mapping[str, Any] = error.schema if isinstance(error.schema, Mapping) else {}
    custom: str | None = schema.get("errorMessage")
    keyword = error.validator
    if keyword == "additionalProperties" and error.validator_value is False:
        allowed = list(schema.get("properties", {}))
        return [
            FieldIssue((*path, name), _unknown_field(name, allowed))
            for name in error.instance
            # Non-string keys are reported by the loader's own key check.
            if isinstance(name, str) and name not in allowed
        ]
    if keyword == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        return [FieldIssue((*path, name), custom or "required field is missing") for name in missing]
    if keyword == "not":
        return [FieldIssue(path, custom or f"not allowed here, found {describe_value(error.instance)}")]
    found = f", found {describe_value(error.instance)}"
    if keyword == "enum":
        options = [str(option) for option in error.validator_value]
        expected = custom or "expected one of " + ", ".join(repr(o) for o in options)
        return [FieldIssue(path, expected + found + did_you_mean(error.instance, options))]
    return [FieldIssue(path, (custom or _expected(keyword, error.validator_value)) + found)]


def _unknown_field(name: str, allowed: list[str]) -> str:
    suggestion = closest_name(name, allowed)
    shown = shorten(name, 60)
    if suggestion:
        return f"unknown field {shown!r}; did you mean {suggestion!r}?"
    return f"unknown field {shown!r}; expected one of: {', '.join(allowed)}"


def _expected(keyword: str, value: Any) -> str:
    """The 'expected ...' half of a message for validators without an errorMessage."""
    if keyword == "type":
        names = [str(n) for n in (value if isinstance(value, list) else [value])]
        return "expected " + " or ".join(_TYPE_NAMES.get(n, n) for n in names)
    if keyword == "const":
        return f"expected {value!r}"
    comparisons = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}
    if keyword in comparisons:
        return f"expected a number {comparisons[keyword]} {value}"
    if keyword == "minLength":
        return "expected a non-empty string" if value == 1 else f"expected at least {value} characters"
    if keyword == "maxLength":
        return f"expected at most {value} characters"
    if keyword == "minItems":
        return f"expected at least {value} item(s)"
    if keyword == "maxItems":
        return f"expected at most {value} item(s)"
    if keyword == "maxProperties":
        return f"expected at most {value} entries"
    if keyword == "pattern":
        return f"expected text matching {shorten(str(value), 80)}"
    # jsonschema's own text quotes the whole value found: never pass it on.
    return f"expected a value allowed by the schema's {keyword!r} rule"
