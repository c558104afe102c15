"""SLOs whose queries differ only in one label's value: one query for all of them.

A thousand SLOs, one per service, usually read the same metric through the same query with
``service="..."`` changed. Asked one SLO at a time that is a thousand requests a cycle, and a
thousand times Prometheus' per-query overhead. Asked as one family it is::

    sum by (service) (rate(http_requests_total{service=~"a|b|c", code!~"5.."}[5m]))

and each SLO takes the series of its own value. That answer equals the SLO's own
``sum(rate(http_requests_total{service="a", code!~"5.."}[5m]))`` exactly: the same series are
summed, grouped by the label the SLO selects on. To be sure of that, only queries of one shape
take part, which is the shape SLO queries nearly always have:

* ``sum(F(<selector>[range]))`` or ``F(<selector>[range])`` with F one of rate, increase, irate;
* ``sum(<selector>)`` or a bare ``<selector>``;

with no ``offset`` or ``@``, where every selector of the good and total queries matches the
same label with ``=`` to the same value (``service`` when it is one of them, else the first such
label by name). Anything else is read per SLO as before (``_plan``).

The family's queries are templates in which that matcher reads ``label=~<VALUES>``; the batcher
(``_batch``) puts in the regex of the values it asks for. Values are escaped as Go's
``regexp.QuoteMeta`` does, so each matches itself only (Prometheus anchors regexes).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import promql_parser as pp

from aegis.spec.promql_selector import selector_text

# Replaced by the quoted regex of the values asked for. A NUL never appears in a rendered query
# (json.dumps escapes it), so the placeholder cannot collide with anything a user wrote.
VALUES = "\x00aegis-values\x00"
_FUNCTIONS = {"rate", "increase", "irate"}
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_PREFERRED = "service"
_GO_META = re.compile(r"([\\.+*?()|\[\]{}^$])")


@dataclass(frozen=True)
class Shape:
    """A whitelisted query: the function (or None), its range in seconds and its one selector."""

    function: str | None
    range_seconds: int | None
    selector: pp.VectorSelector


@dataclass(frozen=True)
class Family:
    """How one SLO takes part: the label, its own value, and the batched form of each part."""

    label: str
    value: str


def shape(expr: pp.Expr | None) -> Shape | None:
    """The query's shape when it is one a family can batch, else None."""
    if expr is None:
        return None
    inner = expr
    if isinstance(expr, pp.AggregateExpr):
        if str(expr.op) != "sum" or expr.modifier is not None or expr.param is not None:
            return None
        inner = expr.expr
    if isinstance(inner, pp.VectorSelector):
        return Shape(None, None, inner) if _plain(inner) else None
    if not isinstance(inner, pp.Call) or inner.func.name not in _FUNCTIONS or len(inner.args) != 1:
        return None
    matrix = inner.args[0]
    if not isinstance(matrix, pp.MatrixSelector):
        return None
    seconds = matrix.range.total_seconds()
    if seconds != int(seconds) or seconds <= 0 or not _plain(matrix.vector_selector):
        return None
    return Shape(inner.func.name, int(seconds), matrix.vector_selector)


def _plain(selector: pp.VectorSelector) -> bool:
    return selector.offset is None and selector.at is None and not selector.matchers.or_matchers


def _equalities(selector: pp.VectorSelector) -> dict[str, str]:
    """Labels matched exactly once, with ``=``: the candidates for the family label."""
    matchers = selector.matchers.matchers
    names = [m.name for m in matchers]
    return {
        m.name: m.value
        for m in matchers
        if m.op == pp.MatchOp.Equal
        and names.count(m.name) == 1
        and _LABEL_NAME.match(m.name)
        and not m.name.startswith("__")  # __name__ and other internal labels do not survive rate()
    }


def family_of(shapes: Sequence[Shape]) -> Family | None:
    """The label every selector matches to one same value; None when there is none."""
    if not shapes:
        return None
    common = _equalities(shapes[0].selector)
    for item in shapes[1:]:
        theirs = _equalities(item.selector)
        common = {k: v for k, v in common.items() if theirs.get(k) == v}
    if not common:
        return None
    label = _PREFERRED if _PREFERRED in common else min(common)
    return Family(label, common[label])


def batched_selector(selector: pp.VectorSelector, label: str) -> str:
    """The selector with ``label="v"`` turned into ``label=~<VALUES>``."""
    return selector_text(selector, replace=(label, f"{label}=~{VALUES}"))


def batched_value_query(item: Shape, label: str) -> str:
    """``sum by (label) (...)`` of the shape, over every value asked for."""
    selector = batched_selector(item.selector, label)
    inner = selector if item.function is None else f"{item.function}({selector}[{item.range_seconds}s])"
    return f"sum by ({label}) ({inner})"


def regex(values: Sequence[str]) -> str:
    """The PromQL string literal matching exactly these values (``"a|b\\\\.c"``)."""
    return json.dumps("|".join(quote_meta(v) for v in values), ensure_ascii=False)


def quote_meta(value: str) -> str:
    """Go's regexp.QuoteMeta: every RE2 metacharacter escaped, nothing else (RE2 refuses ``\\ ``)."""
    return _GO_META.sub(r"\\\1", value)
