"""``--replica-lease`` and ``--replica-id``: flags, environment, and a lease that cannot work."""

from __future__ import annotations

import pytest

from aegis.cli.server import parse_settings


def test_replica_flags_default_and_come_from_flags_or_environment() -> None:
    default = parse_settings([], {})
    assert (default.replica_lease, default.replica_id) == (10.0, None)
    from_env = parse_settings([], {"REPLICA_LEASE": "4", "REPLICA_ID": "pod-a"})
    assert (from_env.replica_lease, from_env.replica_id) == (4.0, "pod-a")
    from_flags = parse_settings(["--replica-lease", "2.5", "--replica-id", "pod-b"], {"REPLICA_LEASE": "4"})
    assert (from_flags.replica_lease, from_flags.replica_id) == (2.5, "pod-b")


def test_replica_lease_from_the_environment_must_be_a_number() -> None:
    with pytest.raises(SystemExit) as exited:
        parse_settings([], {"REPLICA_LEASE": "ten"})
    assert str(exited.value) == "aegis-server: error: REPLICA_LEASE must be a number, got 'ten'"


@pytest.mark.parametrize("lease", ["0.1", "0", "-3", "7200"])
def test_replica_lease_out_of_range_is_refused_in_one_line(
    lease: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        parse_settings(["--replica-lease", lease], {})
    assert str(exited.value) == (
        f"aegis-server: error: --replica-lease must be 0.5 to 3600 seconds, got {float(lease)}"
    )
