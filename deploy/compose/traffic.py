"""Demo traffic for `docker-compose --profile prometheus up`: the counters the README's SLO reads.

Counts 100 requests a second of a pretend `api` service in ``http_requests_total``, a share
``ERROR_RATIO`` of them 5xx, and serves them for Prometheus on ``TRAFFIC_PORT``. Each request
carries its status as both ``code`` and ``status``, the two label names in common use, so SLO
queries written either way find it. ``ERROR_RATIO=0.2`` makes the gate BLOCK within a minute.
"""

from __future__ import annotations

import os
import signal
import threading

from prometheus_client import CollectorRegistry, Counter, start_http_server

REQUESTS_PER_SECOND = 100


def _ratio(raw: str) -> float:
    try:
        ratio = float(raw)
    except ValueError:
        ratio = -1.0
    if not 0.0 <= ratio <= 1.0:
        raise SystemExit(f"traffic.py: ERROR_RATIO must be a number within 0..1, got {raw!r}")
    return ratio


def main() -> None:
    error_ratio = _ratio(os.environ.get("ERROR_RATIO", "0.001"))
    port = int(os.environ.get("TRAFFIC_PORT", "9100"))
    registry = CollectorRegistry()
    requests = Counter(
        "http_requests", "Requests served, by status", ["service", "code", "status"], registry=registry
    )
    ok = requests.labels(service="api", code="200", status="200")
    failed = requests.labels(service="api", code="500", status="500")
    ok.inc(0)
    failed.inc(0)  # both series exist from the first scrape on, even at ERROR_RATIO=0
    start_http_server(port, addr=os.environ.get("TRAFFIC_HOST", "0.0.0.0"), registry=registry)
    rate = f"{REQUESTS_PER_SECOND} req/s, error ratio {error_ratio}"
    print(f"traffic.py: {rate}, metrics on :{port}", flush=True)

    stop = threading.Event()
    # As PID 1 in a container a signal without a handler is ignored: stop on SIGTERM explicitly.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    errors_owed = 0.0
    while not stop.wait(1.0):
        errors_owed += REQUESTS_PER_SECOND * error_ratio
        errors = int(errors_owed)
        errors_owed -= errors
        failed.inc(errors)
        ok.inc(REQUESTS_PER_SECOND - errors)


if __name__ == "__main__":
    main()
