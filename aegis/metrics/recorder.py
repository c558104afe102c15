"""Where a metrics adapter reports the HTTP requests it makes.

The cost of talking to a metrics backend is worth watching (it is the point of
batching and sharing queries), yet the adapter must not own a metrics registry.
So it takes a recorder: anything with ``backend_request(outcome)``. The server's
``Telemetry`` already has that method; tests and libraries use the no-op default.
"""

from __future__ import annotations

from typing import Protocol


class AdapterRecorder(Protocol):
    def backend_request(self, outcome: str) -> None:
        """One HTTP request was sent; ``outcome`` is e.g. ``success``, ``timeout``, ``rejected``."""
        ...


class NoopAdapterRecorder:
    """The default: counts nothing."""

    def backend_request(self, outcome: str) -> None:
        return None
