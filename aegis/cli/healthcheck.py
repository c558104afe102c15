"""``python -m aegis.cli.healthcheck``: is the server on this host alive? Exit 0 if so, 1 if not.

The container image's HEALTHCHECK runs it, so the image needs neither curl nor wget. It reads
``PORT`` and ``HOST`` as ``aegis-server`` does, so the probe follows the server wherever it is
configured to listen. It imports nothing but the standard library: Docker runs it every few
seconds, and pulling in the server's dependencies would cost half a second of CPU each time.
"""

from __future__ import annotations

import argparse
import http.client
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence

EXIT_HEALTHY = 0
EXIT_UNHEALTHY = 1  # Docker reads 0 and 1 only (2 is reserved), so every failure is 1
WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})


def default_url(env: Mapping[str, str]) -> str:
    """``/healthz`` where aegis-server listens: loopback when it binds every address."""
    host = env.get("HOST", "")
    host = "127.0.0.1" if host in WILDCARD_HOSTS else host
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal in a URL
    return f"http://{host}:{env.get('PORT') or '8080'}/healthz"


def probe(url: str, timeout: float) -> str | None:
    """None when ``url`` answers 200, else why not, in one line."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            status: int = response.status
    except urllib.error.HTTPError as err:
        status = err.code
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as err:
        return f"{url}: {getattr(err, 'reason', err)}"
    return None if status == 200 else f"{url}: HTTP {status}"


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    environ = os.environ if env is None else env
    parser = argparse.ArgumentParser(
        prog="python -m aegis.cli.healthcheck",
        description="Probe a running aegis-server's /healthz; exit 0 when it answers 200, else 1.",
    )
    parser.add_argument("--url", default=None, help="URL to probe (default: http://127.0.0.1:$PORT/healthz)")
    parser.add_argument("--timeout", type=float, default=3.0, help="seconds to wait (default 3)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return EXIT_HEALTHY if exit_.code == 0 else EXIT_UNHEALTHY
    problem = probe(args.url or default_url(environ), args.timeout)
    if problem is not None:
        print(f"aegis healthcheck: unhealthy: {problem}", file=sys.stderr)
        return EXIT_UNHEALTHY
    return EXIT_HEALTHY


if __name__ == "__main__":
    raise SystemExit(main())
