"""Reading SLO YAML quickly when nothing is wrong with it, carefully otherwise.

``parse_documents`` composes nodes in Python so that it can bound depth and
alias expansion *while* composing: about a third of a file's load time at
10,000 files. Most files have no anchors and no problems, and for those the
bounds can be checked afterwards on the composed tree at no risk: without an
anchor nothing expands, and libyaml itself refuses nesting beyond 1,000 levels
before anything recurses. So ``read_documents`` lets libyaml compose (C), keeps
our constructor (duplicate keys and over-long numbers are still refused), then
counts nodes and depth. Anything unusual -- an anchor, any error, a bound
exceeded -- and the file is read again by ``parse_documents``, so every message
(line, column, what was expected) is exactly the careful path's.
"""

from __future__ import annotations

from collections.abc import Callable

from yaml.nodes import MappingNode, Node, SequenceNode
from yaml.resolver import Resolver

from aegis.spec.yaml_source import (
    MAX_DEPTH,
    MAX_NODES,
    YamlDocument,
    _StrictConstructor,
    parse_documents,
)

_FastLoader: type | None
try:
    from yaml.cyaml import CParser  # type: ignore[attr-defined]
except ImportError:  # PyYAML built without libyaml: the careful path is the only one.
    _FastLoader = None
else:

    class _CLoader(CParser, _StrictConstructor, Resolver):
        """libyaml parses and composes; ours constructs (duplicate keys, long numbers refused)."""

        dispose: Callable[[], None]

        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            _StrictConstructor.__init__(self)
            Resolver.__init__(self)

    _FastLoader = _CLoader


def read_documents(text: str) -> list[YamlDocument]:
    """What ``parse_documents(text)`` returns (or raises), faster for files without anchors."""
    fast = _fast_documents(text)
    return fast if fast is not None else parse_documents(text)


def _fast_documents(text: str) -> list[YamlDocument] | None:
    """The documents, or None when the careful path must decide (and word any problem)."""
    if _FastLoader is None or "&" in text:  # An anchor: aliases may expand; bounded while composing.
        return None
    documents: list[YamlDocument] = []
    try:
        source = _FastLoader(text)
    except Exception:  # The careful path reports it, worded.
        return None
    try:
        while source.check_node():
            node = source.get_node()
            if node is None:
                break
            documents.append(YamlDocument(data=source.construct_document(node), node=node))
    except Exception:  # YAMLError, ValueError...: the careful path words it.
        return None
    finally:
        source.dispose()
    if not _within_bounds([document.node for document in documents]):
        return None
    return documents


def _within_bounds(roots: list[Node]) -> bool:
    """At most MAX_NODES nodes in the file and MAX_DEPTH levels, as the careful composer counts them.

    Without anchors each node is composed once, so counting the tree is counting what it expands to.
    """
    count = 0
    stack: list[tuple[Node, int]] = [(root, 1) for root in roots]
    while stack:
        node, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH or count > MAX_NODES:
            return False
        if isinstance(node, SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)
        elif isinstance(node, MappingNode):
            for key, value in node.value:
                stack.append((key, depth + 1))
                stack.append((value, depth + 1))
    return True


__all__ = ["read_documents"]
