"""Which scope each RPC needs: declared once, in the contract, as a method option.

``option (aegis.v1.required_scope) = "gate";`` (proto/aegis/v1/auth.proto) sits on every method in
proto/, so the rule travels with the descriptors: generated clients, reflection and grpcurl see
it, and no table in code can drift from the contract. A method without the option, or with a scope
this server does not know, has no scope: it is refused to every key (fail closed), so a new RPC
cannot be left open by forgetting to declare one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from google.protobuf.descriptor import MethodDescriptor

from aegis.v1 import auth_pb2

__all__ = ["SCOPES", "required_scope", "undeclared"]

# read: look (SLOs, state, audit); gate: ask for decisions (which may force an evaluation);
# admin: operate the server. Not hierarchical: a key lists every scope it needs.
SCOPES = ("read", "gate", "admin")
# The generated stub types an extension as a plain FieldDescriptor, which the Extensions API refuses.
_OPTION: Any = auth_pb2.required_scope


def required_scope(method: MethodDescriptor) -> str | None:
    """The scope ``method`` declares, or None when it declares none this server knows."""
    options = method.GetOptions()
    if not options.HasExtension(_OPTION):
        return None
    scope = str(options.Extensions[_OPTION])
    return scope if scope in SCOPES else None


def undeclared(methods: Iterable[MethodDescriptor]) -> list[str]:
    """Full names of the methods that no key may call (no scope, or an unknown one)."""
    return [method.full_name for method in methods if required_scope(method) is None]
