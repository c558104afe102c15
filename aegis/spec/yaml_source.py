"""Reading SLO YAML: every document of a file, with the line each field sits on, within fixed bounds.

PyYAML's plain ``safe_load_all`` drops two things the loader needs: where a
field is (so a problem can say "line 12") and whether a key was written twice
(YAML keeps the last one silently, which can switch a setting off unnoticed).

It also trusts its input. An 899-byte file of nested aliases expands to
hundreds of millions of values once anything walks it; a 10,000-link alias
chain or 5,000 '[' overflow the stack; a 5,000-digit number is a ValueError.
So composition is bounded before anything else sees the data: nesting depth and
the number of nodes *with aliases expanded* are counted as nodes are composed,
recursive aliases are refused, and numbers longer than a few dozen characters
are not converted. Events come from libyaml when PyYAML has it (fast), the
composing and the bounds are ours.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.composer import Composer, ComposerError
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from aegis.spec.problems import FieldPath, shorten

# An SLO document is about 7 levels deep; 32 leaves room for other formats and labels.
MAX_DEPTH = 32
# A README-sized SLO is about 70 nodes; 10,000 is a file of over a hundred SLOs.
MAX_NODES = 10_000
# Characters in one number: far beyond any objective or threshold, far below int()'s own limit.
MAX_NUMBER_LENGTH = 64
_MERGE_TAG = "tag:yaml.org,2002:merge"


class YamlSourceError(ValueError):
    """Text that is not valid YAML, or exceeds a bound; the message carries the line and column."""


class _BoundedComposer(Composer):
    """PyYAML's composer, counting depth and expanded nodes as it goes, and refusing recursion."""

    # Provided by the event source (Parser or libyaml's CParser) earlier in the loader's MRO.
    peek_event: Callable[[], Any]

    def __init__(self) -> None:
        super().__init__()
        self._depth = 0
        self._expanded = 0
        # id(node) -> (size with aliases expanded, height): known once the node is composed.
        self._shapes: dict[int, tuple[int, int]] = {}

    def compose_document(self) -> Node | None:
        self._shapes = {}  # Anchors do not cross documents, so neither do shapes.
        return super().compose_document()

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        event: Any = self.peek_event()
        mark: Any = event.start_mark  # libyaml's Mark or PyYAML's: both have line and column.
        if isinstance(event, AliasEvent):
            node = super().compose_node(parent, index)
            shape = self._shapes.get(id(node))
            if node is None or shape is None:
                anchor = shorten(str(event.anchor), 40)
                message = f"alias *{anchor} is used inside its own anchor (a recursive value)"
                raise ComposerError(None, None, message, mark)
            self._check(self._depth + shape[1], shape[0], mark)
            return node
        self._depth += 1
        before = self._expanded
        self._check(self._depth, 1, mark)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if isinstance(node, ScalarNode):
            self._shapes[id(node)] = (1, 1)
        elif node is not None:
            shapes = self._shapes
            height = 1 + max((shapes[id(child)][1] for child in _children(node)), default=0)
            shapes[id(node)] = (self._expanded - before, height)
        return node

    def _check(self, depth: int, added: int, mark: Any) -> None:
        if depth > MAX_DEPTH:
            message = f"nested more than {MAX_DEPTH} levels deep (aliases included)"
            raise ComposerError(None, None, message, mark)
        self._expanded += added
        if self._expanded > MAX_NODES:
            raise ComposerError(
                None,
                None,
                f"more than {MAX_NODES} values in one file once aliases are expanded; "
                "SLO files are far smaller (split the file, or check for an alias bomb)",
                mark,
            )


def _children(node: Node) -> Iterator[Node]:
    if isinstance(node, SequenceNode):
        yield from node.value
    elif isinstance(node, MappingNode):
        for key, value in node.value:
            yield key
            yield value


class _StrictConstructor(SafeConstructor):
    """SafeConstructor that refuses a key written twice in one mapping, and over-long numbers."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_seen: dict[Any, Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:
                continue  # "<<: *base" may legitimately override merged keys.
            key = self.construct_object(key_node, deep=True)
            try:
                earlier = first_seen.setdefault(key, key_node)
            except TypeError:
                continue  # Unhashable key: SafeConstructor reports it below.
            if earlier is not key_node:
                raise ConstructorError(
                    None,
                    None,
                    f"found duplicate key {shorten(repr(key), 60)} "
                    f"(first written at line {earlier.start_mark.line + 1})",
                    key_node.start_mark,
                )
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: ScalarNode) -> int:
        self._check_number(node)
        value: int = super().construct_yaml_int(node)
        return value

    def construct_yaml_float(self, node: ScalarNode) -> float:
        self._check_number(node)
        value: float = super().construct_yaml_float(node)
        return value

    @staticmethod
    def _check_number(node: ScalarNode) -> None:
        if len(node.value) > MAX_NUMBER_LENGTH:
            raise ConstructorError(
                None,
                None,
                f"a number written with {len(node.value)} characters; at most {MAX_NUMBER_LENGTH} are read",
                node.start_mark,
            )


_StrictConstructor.add_constructor(  # type: ignore[type-var]
    "tag:yaml.org,2002:int", _StrictConstructor.construct_yaml_int
)
_StrictConstructor.add_constructor(  # type: ignore[type-var]
    "tag:yaml.org,2002:float", _StrictConstructor.construct_yaml_float
)


class _LoaderBase(_BoundedComposer, _StrictConstructor, Resolver):
    dispose: Callable[[], None]  # From the event source, as the event methods are.

    def __init__(self) -> None:
        _BoundedComposer.__init__(self)
        _StrictConstructor.__init__(self)
        Resolver.__init__(self)


class PythonLoader(Reader, Scanner, Parser, _LoaderBase):
    """Events from PyYAML's own reader, scanner and parser: slower, but always there."""

    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        _LoaderBase.__init__(self)


Loader: type[_LoaderBase]
try:
    from yaml.cyaml import CParser  # type: ignore[attr-defined]
except ImportError:  # PyYAML built without libyaml.
    Loader = PythonLoader
else:

    class LibyamlLoader(CParser, _LoaderBase):
        """Events from libyaml (several times faster), composed and constructed by ours."""

        # CParser composes too, and comes first in the MRO: ours must win.
        compose_node = _BoundedComposer.compose_node
        compose_document = _BoundedComposer.compose_document
        check_node = _BoundedComposer.check_node
        get_node = _BoundedComposer.get_node

        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            _LoaderBase.__init__(self)

    Loader = LibyamlLoader


@dataclass(frozen=True)
class YamlDocument:
    """One ``---``-separated document: its data and the node tree it came from."""

    data: object
    node: Node

    def line_of(self, path: FieldPath) -> int:
        """1-based line of the field at ``path``, or of its nearest existing parent.

        A mapping entry points at its key, so "unknown field" lands on the typo.
        """
        node: Node = self.node
        line = node.start_mark.line
        for part in path:
            if isinstance(node, MappingNode):
                entry = _find_entry(node, str(part))
                if entry is None:
                    break
                line = entry[0].start_mark.line
                node = entry[1]
            elif isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
                node = node.value[part]
                line = node.start_mark.line
            else:
                break
        return int(line) + 1


def _find_entry(node: MappingNode, key: str) -> tuple[Node, Node] | None:
    found: tuple[Node, Node] | None = None
    for key_node, value_node in node.value:
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            found = (key_node, value_node)  # The last one wins, as in the loaded data.
    return found


def parse_documents(text: str, *, loader: type[_LoaderBase] | None = None) -> list[YamlDocument]:
    """Every document in ``text``, empty ones included (their data is None).

    Raises YamlSourceError for anything PyYAML rejects or a bound refuses,
    never a bare YAMLError, RecursionError or ValueError. ``loader`` is for
    tests that pin the event source (``PythonLoader``; the default is libyaml's).
    """
    documents: list[YamlDocument] = []
    try:
        source = (loader or Loader)(text)  # type: ignore[call-arg]  # Subclasses take the text.
    except yaml.reader.ReaderError as err:
        raise YamlSourceError(_describe_reader(text, err, counts_bytes=False)) from err
    try:
        while source.check_node():
            node = source.get_node()
            if node is None:
                break
            documents.append(YamlDocument(data=source.construct_document(node), node=node))
    except yaml.MarkedYAMLError as err:
        raise YamlSourceError(_describe_marked(err)) from err
    except yaml.reader.ReaderError as err:
        # libyaml reports the offset in UTF-8 bytes, PyYAML's reader in characters.
        libyaml = not isinstance(source, Reader)
        raise YamlSourceError(_describe_reader(text, err, counts_bytes=libyaml)) from err
    except yaml.YAMLError as err:
        raise YamlSourceError(f"invalid YAML: {shorten(str(err), 200)}") from err
    except RecursionError as err:  # Bounded above; kept so that no input can crash a load.
        raise YamlSourceError("invalid YAML: nested too deeply") from err
    finally:
        source.dispose()
    return documents


def _describe_marked(err: yaml.MarkedYAMLError) -> str:
    """'invalid YAML at line 4, column 9: <problem> (<context> at line 3, column 1)'."""
    mark = err.problem_mark or err.context_mark
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    text = f"invalid YAML{where}: {shorten(err.problem or err.context or 'unreadable document', 200)}"
    if err.problem and err.context:
        context_where = ""
        if err.context_mark is not None:
            context_where = f" at line {err.context_mark.line + 1}, column {err.context_mark.column + 1}"
        text += f" ({shorten(err.context, 100)}{context_where})"
    return text


def _describe_reader(text: str, err: yaml.reader.ReaderError, *, counts_bytes: bool) -> str:
    """ReaderError counts characters (PyYAML) or UTF-8 bytes (libyaml); people count lines and columns."""
    if counts_bytes:
        before = text.encode("utf-8")[: err.position].decode("utf-8", "replace")
    else:
        before = text[: err.position]
    line = before.count("\n") + 1
    column = len(before) - (before.rfind("\n") + 1) + 1
    character = err.character
    shown = f"#x{character:04x}" if isinstance(character, int) else shorten(repr(character), 20)
    return f"invalid YAML at line {line}, column {column}: unacceptable character {shown}: {err.reason}"
