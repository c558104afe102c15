"""Opaque page tokens for keyset paging over (timestamp DESC, id DESC).

A token carries the last row's (timestamp, id) rather than an offset, so rows
inserted while someone pages (always newer, at the top) never shift later pages.
It also carries a fingerprint of the filters: a token replayed with other filters
would silently skip or repeat rows, so it is refused instead. Tokens are not
secret: forging one only moves your own cursor.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aegis.store.base import AuditQuery, InvalidQueryError

_VERSION = 1
_MAX_TOKEN_CHARS = 2048
_TOKEN_ALPHABET = re.compile(r"^[A-Za-z0-9_-]+$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Cursor:
    """The last row of a page: the next page starts strictly after it."""

    timestamp: datetime
    evaluation_id: str


def filter_fingerprint(query: AuditQuery) -> str:
    """A short digest of everything that selects rows (not the page size)."""
    filters = [
        query.slo_id,
        query.service,
        query.environment,
        None if query.decision is None else query.decision.name,
        None if query.start_time is None else _to_micros(query.start_time),
        None if query.end_time is None else _to_micros(query.end_time),
    ]
    # Revision 0005's filters join only when used, so tokens issued before stay valid.
    if query.kind is not None or any(value is not None for value in query.gate_filters):
        filters += [None if query.kind is None else query.kind.value, *query.gate_filters]
    canonical = json.dumps(filters, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def encode_page_token(cursor: Cursor, fingerprint: str) -> str:
    payload = {"v": _VERSION, "t": _to_micros(cursor.timestamp), "i": cursor.evaluation_id, "f": fingerprint}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_page_token(token: str, fingerprint: str) -> Cursor:
    """The cursor in ``token``; InvalidQueryError if it is not ours or not for these filters."""
    cursor, issued_for = _parse(token)
    if issued_for != fingerprint:
        raise InvalidQueryError(
            "page_token was issued for different filters; repeat the same filters as the first page "
            "or start again without a page_token"
        )
    return cursor


def _parse(token: str) -> tuple[Cursor, str]:
    """The cursor and the filter fingerprint a well-formed token carries."""
    malformed = InvalidQueryError(
        "page_token is malformed; pass back the next_page_token of a previous page unchanged"
    )
    if len(token) > _MAX_TOKEN_CHARS or not _TOKEN_ALPHABET.match(token):
        raise malformed
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw.decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError) as err:
        raise malformed from err
    if not (
        isinstance(payload, dict)
        and payload.get("v") == _VERSION
        and _is_int(payload.get("t"))
        and isinstance(payload.get("i"), str)
        and isinstance(payload.get("f"), str)
    ):
        raise malformed
    try:
        timestamp = _EPOCH + payload["t"] * _MICROSECOND
    except OverflowError as err:
        raise malformed from err
    return Cursor(timestamp=timestamp, evaluation_id=payload["i"]), payload["f"]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _to_micros(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND
