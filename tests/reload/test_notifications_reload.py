"""The notifications file is reloaded with everything else: receivers move without a restart.

Two real HTTP receivers stand for two teams' webhook and Alertmanager endpoints (the Alertmanager
API itself is proven against a real Alertmanager in tests/notify). Moving both to the second one
must carry the firing alerts over at once and send the next change there only.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from tests.conftest import FIXTURES, default_settings, start_live, stop_live
from tests.notify._receiver import Receiver, running_receiver
from tests.notify.test_alertmanager import until

# The shipped SLOs whose real decision is BLOCK (recommendations-dry-run fires labelled dry_run).
BLOCKED = {"checkout-fast-burn", "search-slow-burn", "recommendations-dry-run"}
# Every shipped SLO that is not ALLOW is announced at first sight.
NOT_ALLOW = 7


def _write(path: Path, receiver: Receiver) -> None:
    path.write_text(
        f"webhooks:\n  - {{url: {receiver.url}/hook, name: team, backoff: 0.05}}\n"
        f"alertmanager:\n  urls: [{receiver.url}/am]\n"
    )


def _hooks(receiver: Receiver) -> list[tuple[str, str | None, str]]:
    payloads = [r.json() for r in receiver.accepted() if r.path == "/hook"]
    return [(p["sloID"], p["previousDecision"], p["decision"]) for p in payloads]


def _firing(receiver: Receiver) -> set[str]:
    """SLOs in the newest Alertmanager post, firing (no endsAt in the past)."""
    posts = [r.json() for r in receiver.accepted() if r.path == "/am/api/v2/alerts"]
    if not posts:
        return set()
    newest: list[dict[str, Any]] = posts[-1]
    return {alert["labels"]["slo"] for alert in newest if alert["endsAt"] > alert["startsAt"]}


async def test_notifications_reload_moves_receivers_and_carries_firing_alerts(tmp_path: Path) -> None:
    slo_dir = tmp_path / "slos"
    shutil.copytree(FIXTURES / "slo" / "valid", slo_dir)
    path = tmp_path / "notifications.yaml"
    async with running_receiver() as first, running_receiver() as second:
        _write(path, first)
        settings = default_settings(
            tmp_path, slo_dir=str(slo_dir), notifications_file=str(path), slo_reload_interval=0
        )
        live = await start_live(settings)
        try:

            async def first_told() -> bool:
                return len(_hooks(first)) == NOT_ALLOW and _firing(first) == BLOCKED

            await until(first_told, "the first receiver heard the start")

            _write(path, second)
            results = await live.app.reload()
            assert results["notifications"] == "changed"

            async def carried_over() -> bool:
                return _firing(second) == BLOCKED

            await until(carried_over, "the firing alerts moved to the new Alertmanager")
            assert _hooks(second) == []  # nothing changed, nothing announced

            checkout = slo_dir / "checkout-fast-burn.yaml"
            checkout.write_text(checkout.read_text().replace("fixture:fast-burn", "fixture:healthy"))
            await live.app.reload()
            await live.app.scheduler.evaluate_now("checkout-fast-burn")

            async def moved() -> bool:
                return _hooks(second) == [("checkout-fast-burn", "BLOCK", "ALLOW")]

            await until(moved, "the change went to the new webhook")
            assert len(_hooks(first)) == NOT_ALLOW

            path.write_text("webhooks: [{url: nowhere}]\n")
            assert (await live.app.reload())["notifications"] == "failed"
            reasons = (await live.rest.get("/readyz")).json()["reasons"]
            assert any(
                r.startswith("notifications file not reloaded, the previous receivers stay") for r in reasons
            )
            assert [sink.name for sink in live.app.notifier.sinks] == ["team", "alertmanager"]  # type: ignore[union-attr]
        finally:
            await stop_live(live)
