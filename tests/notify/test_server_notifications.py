"""A live server with --notifications-file: changes reach a webhook and a real Alertmanager, and
a restart on the same audit log announces only what really changed."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from aegis.scheduler import CatalogEntry
from tests.conftest import LiveServer, default_settings, start_live, stop_live
from tests.notify._alertmanager import alerts, running_alertmanager
from tests.notify._receiver import Receiver, running_receiver
from tests.notify.test_alertmanager import until

SECRET = b"e2e-secret"


@pytest.fixture(scope="module")
def alertmanager() -> Iterator[str]:
    with running_alertmanager() as url:
        yield url


def _changes(receiver: Receiver) -> list[tuple[str, str | None, str]]:
    return [
        (p["sloID"], p["previousDecision"], p["decision"]) for p in (r.json() for r in receiver.accepted())
    ]


def _notifications_file(tmp_path: Path, hook: str, alertmanager: str) -> str:
    (tmp_path / "hook.secret").write_text(SECRET.decode() + "\n")
    path = tmp_path / "notifications.yaml"
    path.write_text(
        f"webhooks:\n"
        f"  - {{url: {hook}, name: e2e, secretFile: hook.secret, backoff: 0.05}}\n"
        f"alertmanager:\n"
        f"  urls: [{alertmanager}]\n"
    )
    return str(path)


async def _make_healthy(live: LiveServer, slo_id: str) -> None:
    """As a reload would: the SLO now reads the healthy fixture."""
    catalog = live.app.catalog
    slo = catalog.entries[slo_id].slo
    fixture = "fixture:healthy-all-windows"
    sli = dataclasses.replace(slo.sli, good_query=fixture, total_query=fixture)
    healthy = dataclasses.replace(slo, sli=sli)
    entries = [CatalogEntry(healthy) if e.slo.id == slo_id else e for e in catalog.entries.values()]
    catalog.apply(entries, catalog.problems)
    await live.app.scheduler.evaluate_now(slo_id)


async def test_server_notifies_changes_and_a_restart_announces_nothing_new(
    tmp_path: Path, alertmanager: str
) -> None:
    async with running_receiver(secret=SECRET) as receiver, httpx.AsyncClient() as client:
        settings = default_settings(
            tmp_path, notifications_file=_notifications_file(tmp_path, f"{receiver.url}/hook", alertmanager)
        )
        live = await start_live(settings)
        try:
            # First sight, no history: every SLO that is not ALLOW is news.
            await receiver.wait_for(5)
            assert sorted(_changes(receiver)) == [
                ("api-warn-only", None, "WARN"),
                ("batch-zero-traffic", None, "WARN"),
                ("billing-stale", None, "WARN"),
                ("checkout-fast-burn", None, "BLOCK"),
                ("search-slow-burn", None, "BLOCK"),
            ]
            assert all(receiver.signature_ok(r) for r in receiver.received)

            async def both_firing() -> bool:
                return all(
                    [
                        await alerts(client, alertmanager, s)
                        for s in ("checkout-fast-burn", "search-slow-burn")
                    ]
                )

            await until(both_firing, "an alert per blocked SLO")

            await _make_healthy(live, "checkout-fast-burn")
            await receiver.wait_for(6)
            assert _changes(receiver)[-1] == ("checkout-fast-burn", "BLOCK", "ALLOW")

            async def checkout_resolved() -> bool:
                return await alerts(client, alertmanager, "checkout-fast-burn") == []

            await until(checkout_resolved, "the opened gate's alert resolves")
            assert await alerts(client, alertmanager, "search-slow-burn")
        finally:
            await stop_live(live)

        # Same audit log, same files: the in-memory "reload" is gone, so checkout-fast-burn is
        # BLOCK again; that, and only that, is a change since the last audited decisions.
        live = await start_live(settings)
        try:
            for slo_id in sorted(live.app.catalog.entries):
                await live.app.scheduler.evaluate_now(slo_id)
        finally:
            await stop_live(live)  # delivers what is queued
        assert _changes(receiver)[6:] == [("checkout-fast-burn", "ALLOW", "BLOCK")]
        assert await alerts(client, alertmanager, "checkout-fast-burn")
