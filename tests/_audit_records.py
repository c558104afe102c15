"""Reading audit records as the gate answered them (revision 0005's audit-only fields aside)."""

from __future__ import annotations

from typing import Any

# On audit records only: where the record sits in the hash chain, its kind, who asked.
AUDIT_ONLY_FIELDS = ("chain", "recordKind", "gateRequest")


def as_answered(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` (REST JSON) without the audit-only fields and with ``id`` the evaluation's,
    i.e. what the gate request that it records was answered, field for field."""
    answered = {key: value for key, value in record.items() if key not in AUDIT_ONLY_FIELDS}
    answered["id"] = record["evaluationID"]
    return answered
