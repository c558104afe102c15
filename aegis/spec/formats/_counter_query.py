"""An OpenSLO counter query turned into a windowed rate the gate can read over each rule window.

OpenSLO's Prometheus example writes a counter as it is stored, with ``counter: true``::

    sum(localhost_server_requests{code=~"2xx|3xx"})

Burn rates need its increase over each window, so the selector is wrapped::

    >>> windowed('sum(localhost_server_requests{code=~"2xx|3xx"})', counter=True)
    'sum(rate(localhost_server_requests{code=~"2xx|3xx"}[{{window}}]))'

A query that already says where the window goes (``[{{.window}}]``, as Sloth's OpenSLO examples
write) is used as written. Anything else cannot be read over several windows and is refused
with the reason (a ``ValueError``), never guessed at.
"""

from __future__ import annotations

import re

import promql_parser as pp

from aegis.spec.promql_selector import selector_text

_WINDOW = re.compile(r"\{\{\s*\.?\s*window\s*\}\}")
EXPECTED = (
    "expected a counter selector, alone or in one aggregation such as "
    'sum(http_requests_total{code!~"5.."}), or a query with [{{window}}] where the window goes'
)


def windowed(query: str, *, counter: bool | None) -> str:
    """The query with ``{{window}}`` in it; ValueError (the message for the file) when impossible."""
    if _WINDOW.search(query):
        return query
    if counter is not True:
        found = "counter: false" if counter is False else "no counter field"
        raise ValueError(
            f"expected counter: true (a monotonic counter, read as its rate over each rule window) "
            f"or a query with [{{{{window}}}}] where the window goes; found {found} and no window"
        )
    try:
        expr = pp.parse(query)
    except (ValueError, TypeError, RuntimeError) as err:
        raise ValueError(f"expected PromQL, which this is not: {str(err)[:120]}") from err
    if isinstance(expr, pp.VectorSelector):
        return _rate(expr)
    if isinstance(expr, pp.AggregateExpr) and expr.param is None and isinstance(expr.expr, pp.VectorSelector):
        modifier = f" {expr.modifier}" if expr.modifier is not None else ""
        return f"{expr.op}{modifier}({_rate(expr.expr)})"
    raise ValueError(EXPECTED)


def _rate(node: pp.VectorSelector) -> str:
    if node.offset is not None or node.at is not None:
        raise ValueError("expected a counter selector without offset or @ (the window is the gate's)")
    return f"rate({selector_text(node)}[{{{{window}}}}])"
