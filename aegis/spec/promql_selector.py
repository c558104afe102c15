"""Rendering a parsed PromQL vector selector back to text, strings escaped.

One renderer for the spec (rewriting Sloth/OpenSLO counter queries) and the Prometheus adapter
(evidence and batched queries): the parser's own ``str()`` does not escape label values.
"""

from __future__ import annotations

import json
import re

import promql_parser as pp

_METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_OPS = ((pp.MatchOp.Equal, "="), (pp.MatchOp.NotEqual, "!="), (pp.MatchOp.Re, "=~"), (pp.MatchOp.NotRe, "!~"))


def matcher_op(m: pp.Matcher) -> str:
    return next(text for kind, text in _OPS if m.op == kind)


def selector_text(node: pp.VectorSelector, *, replace: tuple[str, str] | None = None) -> str:
    """Render name and matchers with proper string escaping (the parser's own str() does not escape).

    ``replace=(label, text)`` renders every matcher on ``label`` as ``text`` instead.
    """
    groups = [node.matchers.matchers, *node.matchers.or_matchers]
    rendered = [
        ",".join(replace[1] if replace and m.name == replace[0] else _matcher(m) for m in group)
        for group in groups
        if group
    ]
    name = node.name or ""
    if name and not _METRIC_NAME.match(name):
        by_name = f"__name__={json.dumps(name, ensure_ascii=False)}"
        rendered = [f"{by_name},{r}" for r in rendered] or [by_name]
        name = ""
    body = " or ".join(rendered)
    if not body:
        return name
    return f"{name}{{{body}}}"


def _matcher(m: pp.Matcher) -> str:
    # JSON string syntax is a subset of PromQL's double-quoted strings.
    return f"{m.name}{matcher_op(m)}{json.dumps(m.value, ensure_ascii=False)}"
