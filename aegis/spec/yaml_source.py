"""Reading SLO YAML: every document of a file, with the line each field sits on.

PyYAML's plain ``safe_load_all`` drops two things the loader needs: where a
field is (so a problem can say "line 12") and whether a key was written twice
(YAML keeps the last one silently, which can switch a setting off unnoticed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from aegis.spec.problems import FieldPath

_MERGE_TAG = "tag:yaml.org,2002:merge"


class YamlSourceError(ValueError):
    """Text that is not valid YAML; the message carries the line and column."""


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key written twice in one mapping."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_seen: dict[Any, Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:
                continue  # "<<: *base" may legitimately override merged keys.
            key = self.construct_object(key_node, deep=True)
            try:
                earlier = first_seen.setdefault(key, key_node)
            except TypeError:
                continue  # Unhashable key: SafeLoader reports it below.
            if earlier is not key_node:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"found duplicate key {key!r} (first written at line {earlier.start_mark.line + 1})",
                    key_node.start_mark,
                )
        return super().construct_mapping(node, deep=deep)


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
        return line + 1


def _find_entry(node: MappingNode, key: str) -> tuple[Node, Node] | None:
    found: tuple[Node, Node] | None = None
    for key_node, value_node in node.value:
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            found = (key_node, value_node)  # The last one wins, as in the loaded data.
    return found


def parse_documents(text: str) -> list[YamlDocument]:
    """Every document in ``text``, empty ones included (their data is None).

    Raises YamlSourceError for anything PyYAML rejects, never a bare YAMLError.
    """
    documents: list[YamlDocument] = []
    try:
        # The reader rejects control characters up front, so even construction can fail.
        loader = _StrictLoader(text)
    except yaml.reader.ReaderError as err:
        raise YamlSourceError(_describe_reader(text, err)) from err
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                break
            documents.append(YamlDocument(data=loader.construct_document(node), node=node))
    except yaml.MarkedYAMLError as err:
        raise YamlSourceError(_describe_marked(err)) from err
    except yaml.YAMLError as err:
        raise YamlSourceError(f"invalid YAML: {err}") from err
    except RecursionError as err:
        raise YamlSourceError("invalid YAML: nested too deeply") from err
    finally:
        loader.dispose()
    return documents


def _describe_marked(err: yaml.MarkedYAMLError) -> str:
    """'invalid YAML at line 4, column 9: <problem> (<context> at line 3, column 1)'."""
    mark = err.problem_mark or err.context_mark
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    text = f"invalid YAML{where}: {err.problem or err.context or 'unreadable document'}"
    if err.problem and err.context:
        context_where = ""
        if err.context_mark is not None:
            context_where = f" at line {err.context_mark.line + 1}, column {err.context_mark.column + 1}"
        text += f" ({err.context}{context_where})"
    return text


def _describe_reader(text: str, err: yaml.reader.ReaderError) -> str:
    """ReaderError counts characters; people count lines and columns."""
    line = text.count("\n", 0, err.position) + 1
    column = err.position - (text.rfind("\n", 0, err.position) + 1) + 1
    character = f"#x{err.character:04x}" if isinstance(err.character, int) else repr(err.character)
    return f"invalid YAML at line {line}, column {column}: unacceptable character {character}: {err.reason}"
