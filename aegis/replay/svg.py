"""Small SVG drawing pieces: scales, lines with gaps, a sparkline. Text in, text out.

Hand-written SVG rather than a plotting library: the server draws the replay picture for the
status page and the API, and a picture of three panels does not justify shipping matplotlib
(and numpy) in every server image. Browsers show SVG inline; tests rasterize it in Chromium.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

# The decisions' colours, everywhere: picture band, status page badges, sparkline markers.
DECISION_COLOURS = {"ALLOW": "#2e7d32", "WARN": "#f9a825", "BLOCK": "#c62828"}
# One colour per series in a panel, in order.
SERIES_COLOURS = ("#1565c0", "#6a1b9a", "#00838f", "#ef6c00", "#5d4037", "#ad1457")


def text(value: object) -> str:
    """Escaped for both element text and attribute values."""
    return escape(str(value), quote=True)


def number(value: float) -> str:
    """Coordinates to two decimals, without trailing zeros: SVG files stay small."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class LogScale:
    """Maps values in [low, high] (both > 0) to [bottom, top] in pixels, logarithmically."""

    low: float
    high: float
    bottom: float
    top: float

    def __call__(self, value: float) -> float:
        clamped = min(max(value, self.low), self.high)
        share = (math.log10(clamped) - math.log10(self.low)) / (math.log10(self.high) - math.log10(self.low))
        return self.bottom + (self.top - self.bottom) * share

    def ticks(self) -> list[float]:
        """Powers of ten inside the range."""
        first, last = math.ceil(math.log10(self.low)), math.floor(math.log10(self.high))
        return [10.0**power for power in range(first, last + 1)]

    @classmethod
    def spanning(cls, values: Sequence[float], bottom: float, top: float, floor: float) -> LogScale:
        """Decades around every positive value, at least down to ``floor``."""
        positive = [v for v in values if v > 0 and math.isfinite(v)]
        low = min([floor, *positive])
        high = max([floor * 10, *positive])
        # An exact power of ten is a decade's top, not the start of another.
        return cls(10 ** math.floor(math.log10(low)), 10 ** math.ceil(math.log10(high) - 1e-9), bottom, top)


def tag(name: str, body: str = "", **attributes: object) -> str:
    """An element: ``tag("line", x1=0, stroke_dasharray="6 3")``; ``_`` in names becomes ``-``.

    Floats are rounded (``number``), everything else escaped; a trailing ``_`` lets a name be a
    Python keyword (``class_``).
    """
    shown = []
    for key, value in attributes.items():
        if value is None:
            continue
        written = number(value) if isinstance(value, float) else text(value)
        shown.append(f'{key.rstrip("_").replace("_", "-")}="{written}"')
    opening = " ".join([name, *shown])
    return f"<{opening}>{body}</{name}>" if body else f"<{opening}/>"


def polylines(
    points: Sequence[tuple[float, float | None]], colour: str, width: float = 1.5, dash: str = ""
) -> str:
    """One polyline per run of points with a value: no data is a gap, never a line to zero."""
    runs: list[list[tuple[float, float]]] = [[]]
    for x, y in points:
        if y is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append((x, y))
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    return "".join(
        f'<polyline fill="none" stroke="{colour}" stroke-width="{number(width)}"{dashed} '
        f'points="{" ".join(f"{number(x)},{number(y)}" for x, y in run)}"/>'
        for run in runs
        if run
    )


def binned(values: Sequence[float | None], bins: int) -> list[float | None]:
    """At most ``bins`` values, each the largest of its share (peaks survive, gaps too)."""
    if len(values) <= bins:
        return list(values)
    out: list[float | None] = []
    for index in range(bins):
        chunk = [
            v
            for v in values[index * len(values) // bins : (index + 1) * len(values) // bins]
            if v is not None
        ]
        out.append(max(chunk) if chunk else None)
    return out


def sparkline(
    values: Sequence[float | None],
    *,
    threshold: float | None = None,
    width: int = 160,
    height: int = 32,
    label: str = "",
) -> str:
    """A tiny inline chart of ``values`` (oldest first) on a log scale, with a dashed threshold."""
    scale = LogScale.spanning(
        [*(v for v in values if v is not None), *([threshold] if threshold else [])], height - 2, 2, 0.1
    )
    shown = binned(values, width)
    step = (width - 4) / max(len(shown) - 1, 1)
    points = [(2 + i * step, scale(v) if v is not None else None) for i, v in enumerate(shown)]
    limit = ""
    if threshold:
        y = number(scale(threshold))
        limit = f'<line x1="0" x2="{width}" y1="{y}" y2="{y}" stroke="#c62828" stroke-dasharray="3 2"/>'
    title = f"<title>{text(label)}</title>" if label else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sparkline" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{text(label)}">{title}'
        f'<rect width="{width}" height="{height}" fill="#fafafa"/>{limit}'
        f"{polylines(points, SERIES_COLOURS[0])}</svg>"
    )
