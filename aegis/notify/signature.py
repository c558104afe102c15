"""The webhook signature: HMAC-SHA256 of the exact body bytes with the shared secret.

Sent as ``X-Aegis-Signature-256: sha256=<lowercase hex>`` (GitHub's scheme, so existing
receivers and libraries fit). A receiver recomputes it over the raw body, before parsing it, and
compares in constant time::

    expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    ok = hmac.compare_digest(expected, request.headers["X-Aegis-Signature-256"])

The body carries the evaluation's ``timestamp``, covered by the signature, so a receiver can
also refuse old replays.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Aegis-Signature-256"
_PREFIX = "sha256="


def sign(secret: bytes, body: bytes) -> str:
    return _PREFIX + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify(secret: bytes, body: bytes, header: str | None) -> bool:
    """What a receiver does, for Python receivers."""
    return header is not None and hmac.compare_digest(sign(secret, body), header)
