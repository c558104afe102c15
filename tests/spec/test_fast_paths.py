"""The fast paths (libyaml composition, compiled schema check) decide nothing the careful ones would not.

``read_documents`` must give what ``parse_documents`` gives, or raise what it raises, for every
file; the compiled schema check may only ever say "no problems" where jsonschema finds none.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from yaml.nodes import MappingNode, Node, SequenceNode

from aegis.spec import schema, yaml_fast
from aegis.spec.yaml_source import MAX_DEPTH, MAX_NODES, YamlSourceError, parse_documents

ROOT = Path(__file__).resolve().parents[2]


def _project_yaml() -> list[Path]:
    skipped = {"node_modules", "third_party", "gen"}
    return sorted(
        path
        for pattern in ("*.yaml", "*.yml")
        for path in ROOT.glob(f"**/{pattern}")
        if not any(part.startswith(".") or part in skipped for part in path.relative_to(ROOT).parts)
    )


YAML_FILES = _project_yaml()
SCHEMAS = ("slo_v1.json", "openslo_v1.json", "sloth_v1.json")

HOSTILE = {
    "duplicate key": "a: 1\nb: 2\na: 3\n",
    "long number": "a: " + "9" * 200 + "\n",
    "alias bomb": "a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\n"
    + "".join(f"d{i}: &d{i} [{', '.join([f'*{p}'] * 10)}]\n" for i, p in enumerate(["c", "d0", "d1", "d2"])),
    "undefined alias": "a: *nowhere\n",
    "too deep": "".join("  " * i + f"k{i}:\n" for i in range(MAX_DEPTH + 2)) + "  " * (MAX_DEPTH + 2) + "x\n",
    "too many": "".join(f"- {i}\n" for i in range(MAX_NODES + 1)),
    "flow too deep": "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
    "libyaml nesting": "[" * 5000 + "]" * 5000,
    "bad syntax": "a: [1, 2\nb: 3\n",
    "tab": "a:\n\tb: 1\n",
    "control character": "a: \x07\n",
    "empty documents": "---\n---\na: 1\n---\n",
    "merge": "base: {x: 1}\nother:\n  <<: {x: 2, y: 3}\n  x: 4\n",
    "date and key types": "1: 2\ntrue: x\nwhen: 2020-01-01\n",
    "explicit tags": "a: !!str {b: 1}\nc: !!map [d]\ne: !!seq {f: 1}\n",
    "explicit str tag": "a: !!str 12\nb: !!int '7'\nc: !!set {x, y}\n",
    "custom tag": "a: !thing 1\n",
    "value key": "=: 1\n",
    "unhashable key": "? [a]\n: b\n",
}


def _lines(node: Node) -> list[tuple[str, int, int]]:
    out = [(type(node).__name__, node.start_mark.line, node.start_mark.column)]
    if isinstance(node, SequenceNode):
        for child in node.value:
            out.extend(_lines(child))
    elif isinstance(node, MappingNode):
        for key, value in node.value:
            out.extend(_lines(key) + _lines(value))
    return out


def _outcome(read: object, text: str) -> object:
    try:
        documents = read(text)  # type: ignore[operator]
    except YamlSourceError as err:
        return ("error", str(err))
    return [(repr(d.data), _lines(d.node)) for d in documents]


@pytest.mark.parametrize("text", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_text_reads_as_the_careful_path_reads_it(text: str) -> None:
    assert _outcome(yaml_fast.read_documents, text) == _outcome(parse_documents, text)


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_yaml_file_of_the_project_reads_the_same(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert _outcome(yaml_fast.read_documents, text) == _outcome(parse_documents, text)


def test_valid_files_take_the_fast_path() -> None:
    text = (ROOT / "fixtures" / "slo" / "valid").glob("*.yaml").__next__().read_text(encoding="utf-8")
    assert yaml_fast._fast_documents(text) is not None


def test_the_compiled_check_never_passes_what_jsonschema_rejects() -> None:
    checked = 0
    for path in YAML_FILES:
        try:
            documents = parse_documents(path.read_text(encoding="utf-8"))
        except YamlSourceError:
            continue
        for document in documents:
            for resource in SCHEMAS:
                fast = schema._fast_check(resource)
                assert fast is not None, "jsonschema-rs is a dependency: the fast check must be there"
                try:
                    accepted = fast(document.data)
                except Exception:
                    continue
                careful = Draft202012Validator(schema.packaged_schema(resource))
                assert accepted == careful.is_valid(document.data), (path, resource)
                checked += 1
    assert checked > 50
