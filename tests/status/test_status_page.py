"""The status page in a real headless Chromium: it loads clean, says what the API says, and is protected
like the read-scope RPCs it is made of."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from aegis.status import pages
from aegis.v1 import slo_pb2
from tests._browser import assert_not_blank, chromium, decode_png, save_for_docs
from tests.conftest import LiveServer, default_settings, start_live, stop_live

READ_KEY, GATE_KEY = "status-read-secret", "status-gate-secret"


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Any]:
    """One Chromium for the module; each test opens its own pages (and contexts)."""
    async with chromium() as launched:
        yield launched


async def _evaluated(live: LiveServer) -> dict[str, dict[str, Any]]:
    """Every SLO evaluated and audited; its newest audit record, as the API gives it."""
    slos = (await live.rest.get("/v1/slo")).json()["slos"]
    for slo in slos:
        await live.rest.post("/v1/gate/decision", json={"sloID": slo["id"], "forceFresh": True})
    await live.app.audit.flush()
    newest = {}
    for slo in slos:
        records = (await live.rest.get("/v1/audit", params={"sloID": slo["id"], "limit": 1})).json()[
            "records"
        ]
        newest[slo["id"]] = {"slo": slo, "record": records[0]}
    return newest


def _budget_left(slo: dict[str, Any], record: dict[str, Any]) -> float | None:
    """The compliance window's budget left, read from the API's JSON as a person would."""
    policy = record.get("budgetPolicy", {})
    if "budgetRemaining" in policy:
        return float(policy["budgetRemaining"])
    sli = record.get("sli")
    return float(sli["budgetRemaining"]) if sli and sli["window"] == slo["window"] else None


class Console:
    """Every console error and uncaught page error of a page."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        page.on("pageerror", lambda error: self.errors.append(str(error)))


async def test_status_overview_shows_every_slo_as_the_api_does(live: LiveServer, browser: Any) -> None:
    expected = await _evaluated(live)
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    console = Console(page)
    response = await page.goto(live.rest_url + "/")
    assert response is not None and response.status == 200
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    rows = await page.locator("tr[data-slo]").all()
    assert [await row.get_attribute("data-slo") for row in rows] == sorted(expected)
    for row in rows:
        slo_id = await row.get_attribute("data-slo")
        slo, record = expected[slo_id or ""]["slo"], expected[slo_id or ""]["record"]
        assert await row.locator(".decision").inner_text() == record["decision"], slo_id
        left = _budget_left(slo, record)
        budget = row.locator(".budget")
        assert await budget.get_attribute("data-budget") == ("" if left is None else repr(left)), slo_id
        assert await budget.inner_text() == ("—" if left is None else f"{left * 100:.1f}%"), slo_id
        assert await row.locator(".dry-run").count() == (1 if record["dryRun"] else 0), slo_id
        assert await row.locator("svg.sparkline").count() == len(slo["burnRateRules"]), slo_id
    png = await page.screenshot(full_page=True)
    assert console.errors == []
    image = decode_png(png)
    assert image.width == 1280 and image.height >= 600
    assert_not_blank(image)
    save_for_docs("status-page.png", png)


@pytest.mark.parametrize("slo_id", ["payments-budget-policy", "recommendations-dry-run", "api-availability"])
async def test_status_slo_page_shows_rules_transitions_and_replay(
    live: LiveServer, browser: Any, slo_id: str
) -> None:
    expected = (await _evaluated(live))[slo_id]
    slo, record = expected["slo"], expected["record"]
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    console = Console(page)
    await page.goto(live.rest_url + "/")
    await page.click(f'tr[data-slo="{slo_id}"] a')
    assert page.url == f"{live.rest_url}/slo/{slo_id}"
    assert await page.locator("h1").inner_text() == slo_id
    assert await page.locator("#now .decision").first.inner_text() == record["decision"]
    assert await page.locator("#now .reasons li").all_inner_texts() == record["reasons"]
    rules = await page.locator("#rules tbody tr").all()
    assert len(rules) == len(slo["burnRateRules"])
    for row, rule in zip(rules, slo["burnRateRules"], strict=True):
        cells = await row.locator("td").all_inner_texts()
        assert cells[0] == rule["name"] and cells[2] == f"{rule['threshold']:g}x"
        assert cells[3] == rule["action"]
    assert await page.locator("#dry-run").count() == (1 if slo["dryRun"] else 0)
    if "budgetPolicy" in slo:
        assert "BLOCK below 10.0%, WARN below 25.0%" in await page.locator("#budget-policy").inner_text()
    picture = page.locator("#replay svg#replay-picture")
    assert await picture.count() == 1
    assert await picture.get_attribute("data-slo") == slo_id
    assert await page.locator("#transitions").count() == 1
    png = await page.screenshot(full_page=True)
    assert console.errors == []
    assert_not_blank(decode_png(png))
    if slo_id == "payments-budget-policy":
        save_for_docs("status-slo-page.png", png)


async def test_status_page_unknown_slo_is_404(live: LiveServer) -> None:
    response = await live.rest.get("/slo/no-such-slo")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "no SLO with id &#x27;no-such-slo&#x27;" in response.text


def test_status_page_escapes_what_comes_from_slo_files() -> None:
    hostile = slo_pb2.SLO(id="x-1", name="<script>alert(1)</script>", service="<b>svc</b>", environment="e")
    html = pages.overview([hostile], [[]], datetime(2026, 1, 1, tzinfo=UTC))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>svc</b>" not in html


def _keys_file(path: Path) -> Path:
    lines = ["keys:"]
    for name, secret, scope in (("viewer", READ_KEY, "read"), ("pipeline", GATE_KEY, "gate")):
        digest = hashlib.sha256(secret.encode()).hexdigest()
        lines += [f"  - name: {name}", f"    sha256: {digest}", f"    scopes: [{scope}]"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
async def keyed(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LiveServer]:
    tmp_path = tmp_path_factory.mktemp("status-keys")
    settings = default_settings(tmp_path, api_keys_file=str(_keys_file(tmp_path / "keys.yaml")))
    server = await start_live(settings)
    yield server
    await stop_live(server)


def _basic(password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"anyone:{password}".encode()).decode()}


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        (_basic("wrong"), 401),
        (_basic(GATE_KEY), 403),
        ({"Authorization": f"Bearer {GATE_KEY}"}, 403),
        (_basic(READ_KEY), 200),
        ({"Authorization": f"Bearer {READ_KEY}"}, 200),
    ],
    ids=["none", "wrong-key", "basic-without-read", "bearer-without-read", "basic-read", "bearer-read"],
)
@pytest.mark.parametrize("path", ["/", "/slo/api-availability"])
async def test_status_page_needs_the_read_scope_when_keys_are_configured(
    keyed: LiveServer, headers: dict[str, str], status: int, path: str
) -> None:
    response = await keyed.rest.get(path, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["cache-control"] == "no-store"
    if status == 401:
        assert response.headers["www-authenticate"].startswith('Basic realm="AegisSLO status"')
    if status == 403:
        assert "lacks the scope &#x27;read&#x27;" in response.text


async def test_status_page_logs_in_from_a_browser_with_the_key_as_password(
    keyed: LiveServer, browser: Any
) -> None:
    context = await browser.new_context(http_credentials={"username": "ops", "password": READ_KEY})
    page = await context.new_page()
    console = Console(page)
    answer = await page.goto(keyed.rest_url + "/")
    assert answer is not None and answer.status == 200
    assert await page.locator("tr[data-slo]").count() >= 9
    await page.click('tr[data-slo="checkout-fast-burn"] a')
    assert await page.locator("svg#replay-picture").count() == 1
    assert console.errors == []
    await context.close()


async def test_status_page_calls_are_counted_like_api_calls(live: LiveServer) -> None:
    await live.rest.get("/")
    exposition = (await live.rest.get("/metrics")).text
    assert (
        'aegis_requests_total{code="OK",method="/aegis.v1.SLOService/ListSLOs",surface="rest"}' in exposition
    )
