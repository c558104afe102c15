"""The files shipped verbatim from the seed stay byte for byte what users have.

The seed README's SLO example and v0.1.0's fixtures (MIT, samijaber1/aegis-slo
at 5472a26) are the compatibility contract: editing our copies would test
something users never wrote. The SHA-256 of each seed file is pinned here.
"""

from __future__ import annotations

import hashlib

import pytest

from tests.conftest import FIXTURES

# fmt: off
VERBATIM = {
    # The seed README's example (readme-example/api-availability.yaml).
    "slo/valid/api-availability.yaml": "1af684e645de48b8e718209da1e21529f83c33d43c4f2578bd4a657276b34e03",
    # v0.1.0's fixtures.
    "slo/valid/checkout-availability.yaml": "3903e239070d985a14aaf11540372c04c932fbcbf9b021cd332ac146d6a7a27a",  # noqa: E501
    "slo/invalid/compliance-too-small.yaml": "ce07d2513f099ef59580e2e9657b67244de246830b2972613837bb1f5a2c9095",  # noqa: E501
    "slo/invalid/duplicate-id-a.yaml": "ed65f64d19533a209176d192ccc97f590d1d7d56fed6daee0a99536e6ad7d14f",
    "slo/invalid/duplicate-id-b.yaml": "9b31bb3afef516636864844fb3b435d3eb2e7fc79fc1cdd9dbb5c0358e91fb2c",
    "slo/invalid/missing-fields.yaml": "b352dbb9354f72803d4ac20937539ee232db173007d94117ffa5f607edb815e3",
    "metrics/fast-burn.json": "e40f23f1eff28625b766645c40b9bd798e075a026f306b534b48ea54fc6a35fb",
    "metrics/healthy.json": "ac1c16036cc60410f117bc6be8b87166ab12a10b8bbdc81fa7e66fd7de8c8dbd",
    "metrics/slow-burn.json": "41cceb37ef1f5328356c7a3ac0a33ba43384ab1e0de32fc8213bcc500d819269",
    "metrics/stale.json": "28f609f75860f0256ee7e272eca1b4f3afb35bcbbf50ff6d580b5bc7263680fe",
    "metrics/zero-traffic.json": "f47838fdbf2bb8a8b583f02c16fac59d8f35800dd38661ecf5a7cee5e8d565c2",
}
# fmt: on


@pytest.mark.parametrize(("name", "digest"), sorted(VERBATIM.items()))
def test_seed_files_are_shipped_byte_for_byte(name: str, digest: str) -> None:
    assert hashlib.sha256((FIXTURES / name).read_bytes()).hexdigest() == digest, f"{name} was edited"
