"""Finish protoc-gen-openapiv2's document with what the REST surface guarantees: run by gen_openapi.sh.

The generator cannot know two behaviours of aegis/api/transcoder.py, and no openapiv2 option
or configuration entry says them without listing every field by hand:

- responses print every field without presence (`false`, `0`, `""`, `[]`, `{}` included), so
  those fields are `required` in every schema a response reaches; singular messages, proto3
  `optional` fields and oneof members may be absent and stay optional;
- request bodies reject unknown fields, so their schemas get `additionalProperties: false`;
  and, as proto3 JSON says, `null` is any field's default value, so their (non-$ref)
  properties get `x-nullable: true`.

A schema reached from both a request and a response would need both and is refused. Schemas
that nothing reaches (DecideResponse and GetSLOResponse, whose `response_body` field is the
REST body) are dropped, so the document lists only what travels over REST.

Usage: finish_openapi.py GENERATED.swagger.json OUTPUT.json
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from google.protobuf import descriptor_pool
from google.protobuf.descriptor import Descriptor

_DEFINITIONS = "#/definitions/"

Json = Any


def main(source: Path, target: Path) -> None:
    _register_messages()
    document = json.loads(source.read_text())
    definitions: dict[str, Json] = document["definitions"]
    responses = _reachable(definitions, _response_schemas(document))
    requests = _reachable(definitions, _request_schemas(document))
    shared = responses & requests
    if shared:
        raise SystemExit(f"finish_openapi.py: schemas used by both requests and responses: {sorted(shared)}")
    for name in sorted(responses):
        message = _message(name)
        if message is not None and "properties" in definitions[name]:
            always = [field.json_name for field in message.fields if not field.has_presence]
            unknown = set(always) - set(definitions[name]["properties"])
            if unknown:
                raise SystemExit(f"finish_openapi.py: {name} has no properties {sorted(unknown)}")
            if always:
                definitions[name]["required"] = always
    for name in sorted(requests):
        if _message(name) is not None and definitions[name].get("type") == "object":
            definitions[name]["additionalProperties"] = False
            for schema in definitions[name].get("properties", {}).values():
                if "$ref" not in schema:
                    schema["x-nullable"] = True
    used = responses | requests
    document["definitions"] = {name: body for name, body in definitions.items() if name in used}
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def _register_messages() -> None:
    """Every aegis.v1 message (and google.rpc.Status) into the default descriptor pool."""
    import aegis.v1

    for module in pkgutil.iter_modules(aegis.v1.__path__):
        if module.name.endswith("_pb2"):
            importlib.import_module(f"aegis.v1.{module.name}")
    importlib.import_module("google.rpc.status_pb2")


def _message(name: str) -> Descriptor | None:
    """The message a definition stands for (openapi_naming_strategy=fqn), unless its JSON is its own."""
    if name.startswith("google.protobuf."):  # Any, Timestamp...: a JSON form of their own
        return None
    try:
        return descriptor_pool.Default().FindMessageTypeByName(name)
    except KeyError:
        return None  # an enum


def _operations(document: Json) -> Iterator[Json]:
    for item in document["paths"].values():
        yield from item.values()


def _response_schemas(document: Json) -> Iterator[Json]:
    for operation in _operations(document):
        for response in operation.get("responses", {}).values():
            if "schema" in response:
                yield response["schema"]


def _request_schemas(document: Json) -> Iterator[Json]:
    for operation in _operations(document):
        for parameter in operation.get("parameters", []):
            if "schema" in parameter:
                yield parameter["schema"]


def _reachable(definitions: dict[str, Json], roots: Iterator[Json]) -> set[str]:
    """Names of the definitions that any of `roots` refers to, transitively."""
    found: set[str] = set()
    pending: list[Json] = list(roots)
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(_DEFINITIONS):
                name = ref.removeprefix(_DEFINITIONS)
                if name not in found:
                    found.add(name)
                    pending.append(definitions[name])
            pending.extend(node.values())
    return found


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(Path(sys.argv[1]), Path(sys.argv[2]))
