"""PromQL text work: filling in SLO query templates and reading what a query selects.

Templates use ``{{window}}`` and, for latency SLIs, ``{{threshold}}`` (Sloth's
``{{.window}}`` spelling works too)::

    >>> render("rate(x[{{window}}])", window="5m")
    'rate(x[5m])'

Queries are parsed with ``promql-parser`` (Prometheus 2.45 grammar) only to
learn two things: which series they read (for freshness checks) and whether
they return a scalar (which must be wrapped differently). A query this parser
does not understand (MetricsQL extensions, say) is still sent as written; the
adapter then just knows less about it.
"""

from __future__ import annotations

import re
from decimal import Decimal

import promql_parser as pp

from aegis.spec.promql_selector import matcher_op, selector_text

_PLACEHOLDER = re.compile(r"\{\{\s*\.?\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
# MatchOp values are neither hashable nor named in promql-parser 0.12: compare with ==.


class TemplateError(ValueError):
    """A query template names a variable that has no value."""


def format_threshold(threshold_ms: float) -> str:
    """Milliseconds -> seconds as PromQL writes them: 300 -> '0.3', 1000 -> '1', 250 -> '0.25'."""
    seconds = (Decimal(repr(float(threshold_ms))) / 1000).normalize()
    return format(seconds, "f")


def render(query: str, *, window: str, threshold: str | None = None) -> str:
    """Substitute the template variables; TemplateError for an unknown or unavailable one."""

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "window":
            return window
        if name == "threshold":
            if threshold is None:
                raise TemplateError(f"{match.group(0)} is only available to latency SLIs with a thresholdMs")
            return threshold
        expected = "{{window}} or {{threshold}}"
        raise TemplateError(f"unknown template variable {match.group(0)}; expected {expected}")

    return _PLACEHOLDER.sub(substitute, query)


def parse(query: str) -> pp.Expr | None:
    """The AST, or None when the parser does not accept the query."""
    try:
        return pp.parse(query)
    except (ValueError, TypeError, RuntimeError):
        return None


def selectors(expr: pp.Expr) -> tuple[str, ...]:
    """Every series selector the query reads, as a plain selector without range, offset or @.

    ``sum(rate(x{a="b"}[5m] offset 1h))`` -> ``('x{a="b"}',)``: freshness is about
    whether collection is alive, whatever time shift the query applies.
    """
    found: list[str] = []

    def visit(node: pp.Expr) -> None:
        if isinstance(node, pp.VectorSelector):
            text = selector_text(node)
            if text not in found:
                found.append(text)

    pp.walk(expr, visit)
    return tuple(found)


def selector_nodes(expr: pp.Expr) -> list[pp.VectorSelector]:
    """Every series selector node the query reads, in order."""
    found: list[pp.VectorSelector] = []

    def visit(node: pp.Expr) -> None:
        if isinstance(node, pp.VectorSelector):
            found.append(node)

    pp.walk(expr, visit)
    return found


def covering(nodes: list[pp.VectorSelector]) -> list[pp.VectorSelector]:
    """The selectors without those whose series another one selects too, as rendered text is unique.

    ``x{service="a",code!~"5.."}`` selects a subset of ``x{service="a"}`` (same name, more
    matchers): the newest sample or the best-covered series over both is that of the wider one,
    so asking for both only doubles the work (and needs an ``or`` to keep them apart).
    """
    unique = list({selector_text(n): n for n in nodes}.values())

    def matchers(node: pp.VectorSelector) -> frozenset[tuple[str, str, str]] | None:
        if node.matchers.or_matchers:
            return None
        return frozenset((m.name, matcher_op(m), m.value) for m in node.matchers.matchers)

    kept = []
    for node in unique:
        mine = matchers(node)
        wider = mine is not None and any(
            other is not node
            and other.name == node.name
            and (theirs := matchers(other)) is not None
            and theirs < mine
            for other in unique
        )
        if not wider:
            kept.append(node)
    return kept


def value_type(expr: pp.Expr) -> str:
    """'scalar', 'vector', 'matrix' or 'string': what the query evaluates to."""
    if isinstance(expr, pp.NumberLiteral):
        return "scalar"
    if isinstance(expr, pp.StringLiteral):
        return "string"
    if isinstance(expr, pp.ParenExpr | pp.UnaryExpr):
        return value_type(expr.expr)
    if isinstance(expr, pp.BinaryExpr):
        sides = {value_type(expr.lhs), value_type(expr.rhs)}
        return "scalar" if sides == {"scalar"} else "vector"
    if isinstance(expr, pp.MatrixSelector | pp.SubqueryExpr):
        return "matrix"
    if isinstance(expr, pp.Call):
        kind = expr.func.return_type
        if kind == pp.ValueType.Scalar:
            return "scalar"
        if kind == pp.ValueType.Matrix:
            return "matrix"
        if kind == pp.ValueType.String:
            return "string"
    return "vector"
