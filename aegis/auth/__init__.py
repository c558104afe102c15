"""API keys and scopes: who may call which RPC (see docs/security.md)."""

from aegis.auth.keys import ApiKey, KeyFileError, Keyring, Principal, digest_of, load_keys
from aegis.auth.scopes import SCOPES, required_scope, undeclared

__all__ = [
    "SCOPES",
    "ApiKey",
    "KeyFileError",
    "Keyring",
    "Principal",
    "digest_of",
    "load_keys",
    "required_scope",
    "undeclared",
]
