"""Page tokens: opaque, exact, and bound to the filters that issued them."""

from __future__ import annotations

import base64
import dataclasses
import json
from datetime import timedelta, timezone
from typing import Any

import pytest

from aegis.spec.model import Decision
from aegis.store._paging import Cursor, decode_page_token, encode_page_token, filter_fingerprint
from aegis.store.base import AuditQuery, InvalidQueryError
from tests.store._evaluations import T0

BASE = AuditQuery(slo_id="slo", service="svc", environment="prod", decision=Decision.WARN, start_time=T0)


def test_paging_token_round_trips_cursor_exactly() -> None:
    cursor = Cursor(timestamp=T0, evaluation_id="ev-ünïcode/+=")
    fingerprint = filter_fingerprint(BASE)
    token = encode_page_token(cursor, fingerprint)
    assert decode_page_token(token, fingerprint) == cursor
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@pytest.mark.parametrize(
    "change",
    [
        {"slo_id": "other"},
        {"service": None},
        {"environment": "staging"},
        {"decision": Decision.BLOCK},
        {"start_time": T0 + timedelta(microseconds=1)},
        {"end_time": T0},
    ],
    ids=["slo_id", "service", "environment", "decision", "start_time", "end_time"],
)
def test_paging_fingerprint_changes_with_each_filter(change: dict[str, Any]) -> None:
    assert filter_fingerprint(dataclasses.replace(BASE, **change)) != filter_fingerprint(BASE)


def test_paging_fingerprint_ignores_page_size_token_and_time_zone() -> None:
    same = dataclasses.replace(
        BASE, limit=7, page_token="x", start_time=T0.astimezone(timezone(timedelta(hours=9)))
    )
    assert filter_fingerprint(same) == filter_fingerprint(BASE)


def _token(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "payload",
    [
        {"v": 1, "t": 10**30, "i": "a", "f": "b"},
        {"v": 1, "t": True, "i": "a", "f": "b"},
        {"v": 1, "t": 1.5, "i": "a", "f": "b"},
        {"v": 1, "t": 0, "i": 7, "f": "b"},
        {"v": 1, "t": 0, "i": "a"},
    ],
    ids=["time_out_of_range", "time_is_bool", "time_is_float", "id_not_text", "no_fingerprint"],
)
def test_paging_refuses_well_encoded_but_wrong_payloads(payload: object) -> None:
    with pytest.raises(InvalidQueryError, match="malformed"):
        decode_page_token(_token(payload), "b")


def test_paging_refuses_non_utf8_bytes() -> None:
    token = base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode().rstrip("=")
    with pytest.raises(InvalidQueryError, match="malformed"):
        decode_page_token(token, "b")
