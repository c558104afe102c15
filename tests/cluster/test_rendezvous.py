"""Rendezvous ownership: every replica computes the same owner, SLOs spread evenly, and a replica
leaving or joining moves only the SLOs it had or gets."""

from __future__ import annotations

from collections import Counter

from aegis.cluster.membership import rendezvous_owner

SLOS = [f"slo-{n:05d}" for n in range(3000)]
LIVE = ["replica-a", "replica-b", "replica-c", "replica-d"]


def test_rendezvous_owner_is_the_same_whatever_the_order_of_the_live_set() -> None:
    assert all(rendezvous_owner(s, LIVE) == rendezvous_owner(s, list(reversed(LIVE))) for s in SLOS)


def test_rendezvous_spreads_slos_evenly() -> None:
    counts = Counter(rendezvous_owner(s, LIVE) for s in SLOS)
    assert set(counts) == set(LIVE)
    share = len(SLOS) / len(LIVE)
    assert max(counts.values()) / share < 1.1 and min(counts.values()) / share > 0.9, counts


def test_rendezvous_moves_only_the_slos_of_a_replica_that_leaves_or_joins() -> None:
    before = {s: rendezvous_owner(s, LIVE) for s in SLOS}
    after = {s: rendezvous_owner(s, LIVE[:-1]) for s in SLOS}
    moved = {s for s in SLOS if before[s] != after[s]}
    assert moved == {s for s in SLOS if before[s] == LIVE[-1]}
    # Joining is the same move backwards: the newcomer takes only SLOs, nobody else swaps.
    joined = {s: rendezvous_owner(s, [*LIVE, "replica-e"]) for s in SLOS}
    assert all(joined[s] in (before[s], "replica-e") for s in SLOS)


def test_rendezvous_without_replicas_owns_nothing() -> None:
    assert rendezvous_owner("slo-00001", []) is None
