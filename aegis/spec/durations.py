"""Durations as SLO files write them: ``30s``, ``5m``, ``1h``, ``30d``, ``2w``.

A window is kept as whole seconds plus its canonical text, so that ``60m`` and
``1h`` are the same window and print the same way ("1h") in every response.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PATTERN = re.compile(r"^([1-9][0-9]*)(s|m|h|d|w)$")


class DurationError(ValueError):
    """A duration string that is not ``<positive integer><s|m|h|d|w>``."""


@dataclass(frozen=True, order=True)
class Window:
    """A positive length of time, compared and hashed by its seconds.

    >>> Window.parse("90m").text
    '90m'
    >>> Window.parse("60m") == Window.parse("1h")
    True
    """

    seconds: int

    def __post_init__(self) -> None:
        if self.seconds <= 0:
            raise DurationError(f"a duration must be positive, got {self.seconds}s")

    @classmethod
    def parse(cls, text: str) -> Window:
        match = _PATTERN.match(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise DurationError(
                f"expected a duration like 30s, 5m, 1h, 30d or 2w, got {text!r}"
            )
        return cls(int(match.group(1)) * _UNITS[match.group(2)])

    @property
    def text(self) -> str:
        """The largest unit that divides the duration exactly: 5400s -> '90m'."""
        for unit in ("w", "d", "h", "m"):
            size = _UNITS[unit]
            if self.seconds % size == 0:
                return f"{self.seconds // size}{unit}"
        return f"{self.seconds}s"

    def __str__(self) -> str:
        return self.text
