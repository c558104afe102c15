"""API keys on both surfaces: who is calling, and may they call this method?

gRPC sends ``authorization: Bearer KEY`` as metadata; REST sends the ``Authorization`` header,
which the header matcher forwards as the same metadata, so one check covers both. No key, a
malformed header or an unknown key is UNAUTHENTICATED (401) with ``WWW-Authenticate: Bearer
realm="aegis"`` (an HTTP header on REST, a trailer on gRPC); a known key without the method's
scope is PERMISSION_DENIED (403). The scope comes from the contract (aegis.auth.scopes); a method
that declares none is refused to every key. The caller's Principal goes on
``context.attributes["principal"]`` for later interceptors (logs) and the audit.
"""

from __future__ import annotations

import grpc
from google.protobuf.message import Message

from aegis.api.pipeline import AbortError, CallContext, Handler, MethodInfo
from aegis.auth import Keyring, required_scope

__all__ = ["CHALLENGE", "AuthInterceptor"]

CHALLENGE = 'Bearer realm="aegis"'
_MISSING = "missing API key: send the header 'authorization: Bearer <key>'"
_MALFORMED = "malformed authorization header: expected 'Bearer <key>'"
_UNKNOWN = "invalid API key"


class AuthInterceptor:
    def __init__(self, keyring: Keyring) -> None:
        self._keyring = keyring
        # Method -> its scope: reading descriptor options on every call costs more than the check.
        self._scopes: dict[str, str | None] = {}

    async def intercept(self, request: Message, context: CallContext, proceed: Handler) -> Message:
        principal = self._keyring.authenticate(_bearer(context.metadata_value("authorization")))
        if principal is None:
            raise _unauthenticated(_UNKNOWN, 'error="invalid_token"')
        scope = self._scope_of(context.method)
        if scope is None:
            raise AbortError(
                grpc.StatusCode.PERMISSION_DENIED,
                "this method declares no scope, so no key may call it (see aegis.v1.required_scope)",
            )
        if scope not in principal.scopes:
            raise AbortError(
                grpc.StatusCode.PERMISSION_DENIED,
                f"API key {principal.name!r} lacks the scope {scope!r} this method requires",
                (("www-authenticate", f'{CHALLENGE}, error="insufficient_scope", scope="{scope}"'),),
            )
        context.attributes["principal"] = principal
        return await proceed(request, context)


    def _scope_of(self, method: MethodInfo | None) -> str | None:
        if method is None or method.descriptor is None:
            return None
        if method.full_name not in self._scopes:
            self._scopes[method.full_name] = required_scope(method.descriptor)
        return self._scopes[method.full_name]


def _bearer(header: str | None) -> str:
    """The key in ``Bearer KEY``; AbortError (401) when there is none."""
    if header is None or not header.strip():
        raise _unauthenticated(_MISSING)
    scheme, _, key = header.strip().partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise _unauthenticated(_MALFORMED, 'error="invalid_request"')
    return key


def _unauthenticated(message: str, error: str = "") -> AbortError:
    # RFC 6750 section 3: no error code when the request carried no credentials at all.
    challenge = f"{CHALLENGE}, {error}" if error else CHALLENGE
    return AbortError(grpc.StatusCode.UNAUTHENTICATED, message, (("www-authenticate", challenge),))
