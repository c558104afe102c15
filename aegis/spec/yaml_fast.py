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

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
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
        nodes = 0
        while source.check_node():
            node = source.get_node()
            if node is None:
                break
            build = _Builder(source, nodes)
            documents.append(YamlDocument(data=build(node, 1), node=node))
            nodes = build.nodes
    except Exception:  # YAMLError, ValueError, _Unusual...: the careful path words it.
        return None
    finally:
        source.dispose()
    return documents


class _Unusual(Exception):
    """Something the careful path must see: a bound exceeded, a duplicate or merge key, a tag."""


class _Builder:
    """Plain data from a composed tree, counting nodes and depth as the careful composer does.

    Strings, lists and mappings (most of a file) are built here directly; other scalars by our
    constructor (so over-long numbers are refused); anything else is _Unusual. Without anchors
    each node is composed once, so counting the tree is counting what it expands to.
    """

    def __init__(self, constructor: _StrictConstructor, nodes: int) -> None:
        self._constructor = constructor
        self.nodes = nodes  # Counted across the file's documents, as the careful composer does.

    def __call__(self, node: Node, depth: int) -> object:
        self.nodes += 1
        if depth > MAX_DEPTH or self.nodes > MAX_NODES:
            raise _Unusual
        tag = node.tag
        if tag == _STR and isinstance(node, ScalarNode):
            return node.value
        if tag == _MAP and isinstance(node, MappingNode):
            mapping: dict[object, object] = {}
            for key_node, value_node in node.value:
                key = self(key_node, depth + 1)
                if key_node.tag == _MERGE or key in mapping:  # TypeError when unhashable: unusual too.
                    raise _Unusual
                mapping[key] = self(value_node, depth + 1)
            return mapping
        if tag == _SEQ and isinstance(node, SequenceNode):
            return [self(child, depth + 1) for child in node.value]
        if isinstance(node, ScalarNode) and tag in _SCALARS:
            return self._constructor.construct_object(node)
        raise _Unusual


_STR, _MAP, _SEQ, _MERGE = (f"tag:yaml.org,2002:{name}" for name in ("str", "map", "seq", "merge"))
_SCALARS = frozenset(f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "timestamp"))


__all__ = ["read_documents"]
