"""Durations as SLO files write them: ``30s``, ``5m``, ``1h``, ``30d`` (and ``2w``).

A window is kept as whole seconds, so that ``60m`` and ``1h`` are the same
window and print the same way ("1h") in every response. Printing uses v0.1.0's
units (s, m, h, d): ``2w`` is accepted on input and printed as ``14d``. The text
as written is kept beside it for messages, which should quote the file.

At most nine digits are read: a duration of a thousand digits is refused here,
before any arithmetic, rather than turned into a number nothing downstream can hold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# Printing units, largest first; "w" is read but never printed (v0.1.0 had no weeks).
_PRINT_UNITS = ("d", "h", "m")
MAX_DIGITS = 9
# Leading zeros are harmless (v0.1.0 accepted "05m"); zero itself is not a window.
PATTERN = rf"^0*[1-9][0-9]{{0,{MAX_DIGITS - 1}}}[smhdw]$"
_PATTERN = re.compile(rf"^0*([1-9][0-9]{{0,{MAX_DIGITS - 1}}})([smhdw])$")


class DurationError(ValueError):
    """A duration string that is not ``<positive integer><s|m|h|d|w>``."""


@dataclass(frozen=True, order=True)
class Window:
    """A positive length of time, compared and hashed by its seconds.

    >>> Window.parse("90m").text
    '90m'
    >>> Window.parse("60m") == Window.parse("1h")
    True
    >>> Window.parse("2w").text, Window.parse("2w").written
    ('14d', '2w')
    """

    seconds: int
    # How the file wrote it, for messages; "" for windows made in code.
    written: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.seconds <= 0:
            raise DurationError(f"a duration must be positive, got {self.seconds}s")

    @classmethod
    def parse(cls, text: object) -> Window:
        if not isinstance(text, str) or (match := _PATTERN.match(text.strip())) is None:
            shown = text[:37] + "..." if isinstance(text, str) and len(text) > 40 else text
            raise DurationError(f"expected a duration like 30s, 5m, 1h or 30d, got {shown!r}")
        return cls(int(match.group(1)) * _UNITS[match.group(2)], written=text.strip())

    @property
    def text(self) -> str:
        """The largest unit that divides the duration exactly: 5400s -> '90m', 604800s -> '7d'."""
        for unit in _PRINT_UNITS:
            size = _UNITS[unit]
            if self.seconds % size == 0:
                return f"{self.seconds // size}{unit}"
        return f"{self.seconds}s"

    @property
    def as_written(self) -> str:
        """The file's own spelling when known, else the canonical text."""
        return self.written or self.text

    def __str__(self) -> str:
        return self.text
