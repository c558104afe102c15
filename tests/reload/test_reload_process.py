"""Hot reload as an operator sees it: a real ``aegis-server`` process, real files, real SIGHUP.

What a person checks: the log lines, ``GET /v1/slo/{id}`` with its ``loadError``, ``/readyz``
reasons, ``/metrics``, and decisions, through a SIGHUP and through polling, including a directory
that vanishes and comes back.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import httpx

from tests._aegis_process import AegisProcess, aegis_server, base_args
from tests.reload.test_slo_files import document, write


def _slo_args(tmp_path: Path, *extra: str) -> list[str]:
    # A later --slo-dir wins over base_args' (argparse keeps the last).
    return base_args(tmp_path / "audit.db", "--slo-dir", str(tmp_path / "slos"), *extra)


def _burning(slo_id: str) -> dict[str, Any]:
    doc = document(slo_id)
    for query in ("good", "total"):
        doc["spec"]["sli"][query]["prometheusQuery"] = "fixture:fast-burn-all-windows"
    return doc


def _decide(server: AegisProcess, slo_id: str) -> tuple[int, str]:
    response = httpx.post(f"{server.rest_url}/v1/gate/decision", json={"sloID": slo_id, "forceFresh": True})
    return response.status_code, response.json().get("decision", response.json().get("message", ""))


def _until(check: Any, timeout: float = 20.0) -> Any:
    """Poll ``check()`` until it returns something truthy (the server polls on its own clock)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"not true within {timeout}s")


def test_sighup_reloads_slo_files_and_keeps_the_last_good_version(tmp_path: Path) -> None:
    slo_dir = tmp_path / "slos"
    write(slo_dir, "api.yaml", document("api"))
    write(slo_dir, "checkout.yaml", _burning("checkout"))
    write(slo_dir, "old.yaml", document("old"))
    with aegis_server(_slo_args(tmp_path, "--slo-reload-interval", "0")) as server:
        assert _decide(server, "checkout") == (200, "BLOCK")

        write(slo_dir, "checkout.yaml", document("checkout"))
        write(slo_dir, "team/web.yaml", _burning("web"))
        (slo_dir / "old.yaml").unlink()
        server.process.send_signal(signal.SIGHUP)
        line = server.wait_for_line("SLO reload from")
        assert "added web; changed checkout; removed old" in line
        ids = [s["id"] for s in httpx.get(f"{server.rest_url}/v1/slo").json()["slos"]]
        assert ids == ["api", "checkout", "web"]
        assert _decide(server, "checkout") == (200, "ALLOW")
        assert _decide(server, "web") == (200, "BLOCK")
        assert _decide(server, "old")[0] == 404

        # The file turns invalid: its last good version keeps running, and everyone is told.
        (slo_dir / "team" / "web.yaml").write_text(
            (slo_dir / "team" / "web.yaml").read_text().replace("objective: 0.999", "objective: 99.9")
        )
        server.process.send_signal(signal.SIGHUP)
        server.wait_for_line("SLO web:")
        web = httpx.get(f"{server.rest_url}/v1/slo/web").json()
        assert "spec.objective: expected a fraction strictly between 0 and 1" in web["loadError"]
        assert web["objective"] == 0.999 and web["backend"] == "default"
        assert httpx.get(f"{server.rest_url}/v1/slo/api").json()["loadError"] == ""
        assert _decide(server, "web") == (200, "BLOCK")
        ready = httpx.get(f"{server.rest_url}/readyz").json()
        assert any("spec.objective" in reason for reason in ready["reasons"]), ready
        assert any(reason.startswith("SLO web runs its last good version") for reason in ready["reasons"])
        metrics = httpx.get(f"{server.rest_url}/metrics").text
        assert "aegis_slo_load_errors 1.0" in metrics
        assert "aegis_slos_on_last_good_version 1.0" in metrics
        assert 'aegis_reloads_total{result="unchanged",source="slo_files"}' in metrics

        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=30) == 0
    output = server.output
    assert "Traceback" not in output
    assert output.count("SLO file problem") == 1


def test_polling_sees_changes_without_a_signal_and_survives_a_vanishing_directory(tmp_path: Path) -> None:
    slo_dir = tmp_path / "slos"
    write(slo_dir, "api.yaml", document("api"))
    with aegis_server(_slo_args(tmp_path, "--slo-reload-interval", "0.2")) as server:
        write(slo_dir, "web.yaml", _burning("web"))
        _until(lambda: httpx.get(f"{server.rest_url}/v1/slo/web").status_code == 200)
        assert _decide(server, "web") == (200, "BLOCK")

        away = tmp_path / "unmounted"
        slo_dir.rename(away)
        server.wait_for_line("SLO directory not found")

        def still_serving() -> dict[str, Any] | None:
            body: dict[str, Any] = httpx.get(f"{server.rest_url}/readyz").json()
            return body if any("serving the 2 SLO(s) loaded before" in r for r in body["reasons"]) else None

        ready = _until(still_serving)
        assert ready["ready"] is True
        assert _decide(server, "web") == (200, "BLOCK")
        api = httpx.get(f"{server.rest_url}/v1/slo/api").json()
        assert "this is the version loaded before" in api["loadError"]

        away.rename(slo_dir)
        _until(lambda: httpx.get(f"{server.rest_url}/v1/slo/api").json()["loadError"] == "")
        assert httpx.get(f"{server.rest_url}/readyz").json()["reasons"] == []
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=30) == 0
    assert server.output.count("SLO directory not found") == 1
    assert "Traceback" not in server.output
