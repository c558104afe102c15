"""Walk the audit's hash chain and say whether it holds, or where it first breaks.

From the anchor (the last record retention pruned, or the genesis hash) every record must
have the next sequence number, carry its predecessor's hash, and hash, recomputed from what
it says now, to the hash stored when it was written. A record with no place in the chain
(``chain_seq`` NULL) was written behind the gate's back, or by an older replica after the
upgrade: it breaks the proof too, and is counted.

Reads the chain in pages of ``batch`` rows by sequence number (the unique index), so memory
stays flat however long the audit is.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from aegis.store import chain
from aegis.store._schema import evaluations

__all__ = ["BrokenRecord", "ChainReport", "verify_chain"]


@dataclass(frozen=True)
class BrokenRecord:
    sequence: int
    # "" when the record is missing.
    record_id: str
    problem: str


@dataclass(frozen=True)
class ChainReport:
    records_checked: int
    anchor: tuple[int, str]
    head: tuple[int, str]
    first_broken: BrokenRecord | None
    unchained: int
    # The id of one unchained record, to start looking.
    unchained_example: str | None = None
    # Set when a head noted earlier was given and the chain no longer holds it.
    expected_head_problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.first_broken is None and self.unchained == 0 and self.expected_head_problem is None

    def summary(self) -> str:
        """One line for a person: what was proved, or the first thing that breaks the proof."""
        line = self._walk_summary()
        if self.expected_head_problem is not None:
            line += f"; but the expected head: {self.expected_head_problem}"
        return line

    def _walk_summary(self) -> str:
        if self.first_broken is not None:
            broken = self.first_broken
            which = (
                f"record {broken.record_id} (sequence {broken.sequence})"
                if broken.record_id
                else (f"sequence {broken.sequence}")
            )
            return f"audit chain broken at {which}: {broken.problem}"
        if self.unchained:
            return (
                f"audit chain holds over {self.records_checked} record(s), but {self.unchained} record(s) "
                f"are outside it (e.g. {self.unchained_example}): written behind the gate's back, or by "
                "an older version after the upgrade (`aegis db upgrade` seals the latter)"
            )
        return (
            f"audit chain intact: {self.records_checked} record(s) from sequence {self.anchor[0] + 1} "
            f"to {self.head[0]}; head {self.head[0]}:{self.head[1]}"
        )


def verify_chain(
    engine: Engine, batch: int = 1000, expected_head: tuple[int, str] | None = None
) -> ChainReport:
    """Walk the chain; with ``expected_head`` (sequence, hash noted earlier), also check it is still there."""
    with engine.connect() as connection:
        report = _verify(connection, batch)
    if expected_head is None:
        return report
    return dataclasses.replace(report, expected_head_problem=check_known_head(engine, *expected_head))


def check_known_head(engine: Engine, sequence: int, record_hash: str) -> str | None:
    """None when the chain still holds ``record_hash`` at ``sequence`` (a head noted earlier, e.g. in
    a pipeline log); else one sentence saying what changed. Catches what a walk alone cannot: a
    cut tail, or a chain rewritten with every hash recomputed."""
    c = evaluations.c
    with engine.connect() as connection:
        found = connection.execute(sa.select(c.id, c.chain_hash).where(c.chain_seq == sequence)).first()
        anchor = chain.read_anchor(connection) or (0, chain.GENESIS_HASH)
    if found is not None:
        if found.chain_hash == record_hash:
            return None
        return (
            f"record {found.id} at sequence {sequence} does not have the hash noted earlier: "
            "the chain was rewritten from there on"
        )
    if anchor[0] == sequence:
        return (
            None
            if anchor[1] == record_hash
            else (f"the anchor at sequence {sequence} does not have the hash noted earlier")
        )
    if sequence < anchor[0]:
        return None  # pruned since: the anchor, verified onward, is all that is left to check
    return f"no record at sequence {sequence}, noted earlier: records were cut from the end of the chain"


def _verify(connection: Connection, batch: int) -> ChainReport:
    anchor = chain.read_anchor(connection) or (0, chain.GENESIS_HASH)
    sequence, previous = anchor
    checked = 0
    broken: BrokenRecord | None = None
    c = evaluations.c
    while broken is None:
        rows = connection.execute(
            sa.select(evaluations).where(c.chain_seq > sequence).order_by(c.chain_seq).limit(batch)
        ).all()
        if not rows:
            break
        for row in rows:
            broken = _check(row._mapping, sequence + 1, previous)
            if broken is not None:
                break
            checked += 1
            sequence, previous = int(row.chain_seq), str(row.chain_hash)
    unchained = connection.execute(sa.select(sa.func.count()).where(c.chain_seq.is_(None))).scalar_one()
    example = None
    if unchained:
        example = connection.execute(sa.select(c.id).where(c.chain_seq.is_(None)).limit(1)).scalar_one()
    return ChainReport(checked, anchor, (sequence, previous), broken, int(unchained), example)


def _check(row: sa.RowMapping, expected: int, previous: str) -> BrokenRecord | None:
    found = int(row["chain_seq"])
    if found != expected:
        return BrokenRecord(
            expected,
            "",
            f"missing: the chain jumps from sequence {expected - 1} to {found} "
            f"(record {row['id']}); {found - expected} record(s) were deleted",
        )
    if row["chain_prev_hash"] != previous:
        return BrokenRecord(
            found,
            row["id"],
            "its link to the previous record does not match: a record before it was replaced, "
            "or this one was inserted with a forged place in the chain",
        )
    try:
        recomputed = chain.stored_row_hash(previous, found, row)
    except (KeyError, ValueError, TypeError) as err:
        return BrokenRecord(found, row["id"], f"it no longer reads as an audit record ({err})")
    if recomputed != row["chain_hash"]:
        return BrokenRecord(found, row["id"], "its contents differ from what was hashed when it was written")
    return None
