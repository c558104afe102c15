"""The replay as one SVG picture: error ratio, burn rates against thresholds, the decision band.

Panels share the time axis, top to bottom: the error ratio over the error-ratio window against
the error budget; each rule window's burn rate against each rule's threshold (log scales, since
both span decades); the budget left against the budget policy's thresholds when the SLO has one;
and a band coloured by the decision at each step. Burns are shaded across the panels. Elements
carry ids and ``data-`` attributes (``#decision-band rect[data-decision]``) for tools and tests.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from aegis.replay.svg import DECISION_COLOURS, SERIES_COLOURS, LogScale, binned, number, polylines, tag, text
from aegis.replay.timeline import Replay, ReplayStep

__all__ = ["WIDTH", "render_svg"]

WIDTH = 1000
LEFT, RIGHT = 86, 190
PLOT_WIDTH = WIDTH - LEFT - RIGHT
_RED = "#c62828"
_DASH = "6 3"
# Each rule's threshold line has its own dash, so the legend tells them apart.
_RULE_DASHES = ("6 3", "2 3", "10 3 2 3", "12 5", "1 2")
_TICK_CHOICES = (
    60,
    300,
    900,
    1800,
    3600,
    3 * 3600,
    6 * 3600,
    12 * 3600,
    86400,
    2 * 86400,
    7 * 86400,
    30 * 86400,
)
_MAX_TICKS = 10
_TOP = 64.0


class _Frame:
    """Time to x for one replay; panels stack downwards from ``top``."""

    def __init__(self, replay: Replay) -> None:
        self.start = replay.span.start
        self.seconds = max((replay.span.end - replay.span.start).total_seconds(), 1.0)
        self.top = _TOP
        # Where the panels end and the decision band begins: burns are shaded down to here.
        self.band_top = _TOP

    def x(self, moment: datetime) -> float:
        return LEFT + PLOT_WIDTH * min(max((moment - self.start).total_seconds() / self.seconds, 0.0), 1.0)


def render_svg(replay: Replay) -> str:
    frame = _Frame(replay)
    panels: list[Callable[[Replay, _Frame], str]] = [_error_ratio_panel, _burn_panel]
    if replay.slo.budget_policy is not None:
        panels.append(_budget_panel)
    body = "".join(panel(replay, frame) for panel in panels)
    body += _band(replay, frame) + _time_axis(replay, frame)
    height = frame.top + 8
    return tag(
        "svg",
        tag("rect", width="100%", height="100%", fill="#ffffff")
        + _burn_shading(replay, frame)
        + _title(replay)
        + body,
        xmlns="http://www.w3.org/2000/svg",
        width=WIDTH,
        height=height,
        viewBox=f"0 0 {WIDTH} {number(height)}",
        font_family="DejaVu Sans, Arial, sans-serif",
        font_size=12,
        id="replay-picture",
        data_slo=replay.slo.id,
    )


def _title(replay: Replay) -> str:
    span = replay.span
    changed = f" with {', '.join(replay.overrides)}" if replay.overrides else ""
    held = ", ".join(f"{decision.name} {value:g} min" for decision, value in replay.minutes.items() if value)
    steps = f"every {span.step.text}: {len(replay.steps)} evaluations"
    line = f"{_when(span.start)} to {_when(span.end)}, {steps}, {held}"
    return tag(
        "text", text(f"Replay of {replay.slo.id}{changed}"), x=LEFT, y=22, font_size=16, font_weight="bold"
    ) + tag("text", text(line), x=LEFT, y=42, fill="#555")


def _panel_frame(
    frame: _Frame, height: float, title: str, legend: Sequence[tuple[str, str, str]]
) -> tuple[float, str]:
    """Reserve a panel: its top, and its box, title and legend (label, colour, dash)."""
    top = frame.top + 18
    frame.top = top + height + 26
    keys = ""
    for index, (label, colour, dash) in enumerate(legend):
        y = top + 12 + 16 * index
        keys += tag(
            "line",
            x1=WIDTH - RIGHT + 10,
            x2=WIDTH - RIGHT + 30,
            y1=y,
            y2=y,
            stroke=colour,
            stroke_width=2,
            stroke_dasharray=dash or None,
        )
        keys += tag("text", text(label), x=WIDTH - RIGHT + 35, y=y + 4, font_size=11)
    box = tag("text", text(title), x=LEFT, y=top - 5, font_weight="bold")
    box += tag("rect", x=LEFT, y=top, width=PLOT_WIDTH, height=height, fill="none", stroke="#bbb")
    return top, box + keys


def _series_x(replay: Replay, frame: _Frame, count: int) -> list[float]:
    steps = replay.steps
    if len(steps) <= count:
        return [frame.x(step.at) for step in steps]
    return [LEFT + PLOT_WIDTH * (i + 0.5) / count for i in range(count)]


def _line(
    replay: Replay, frame: _Frame, values: Sequence[float | None], y: Callable[[float], float], colour: str
) -> str:
    shown = binned(values, PLOT_WIDTH)
    xs = _series_x(replay, frame, len(shown))
    return polylines([(x, y(v) if v is not None else None) for x, v in zip(xs, shown, strict=True)], colour)


def _gridline(y: float, label: str) -> str:
    return tag("line", x1=LEFT, x2=LEFT + PLOT_WIDTH, y1=y, y2=y, stroke="#eee") + tag(
        "text",
        text(label),
        x=LEFT - 6,
        y=y,
        text_anchor="end",
        dominant_baseline="middle",
        font_size=10,
        fill="#555",
    )


def _hline(y: float, colour: str = _RED, dash: str = _DASH) -> str:
    return tag("line", x1=LEFT, x2=LEFT + PLOT_WIDTH, y1=y, y2=y, stroke=colour, stroke_dasharray=dash)


def _error_ratio_panel(replay: Replay, frame: _Frame) -> str:
    budget = 1 - replay.slo.objective
    legend = [
        (f"errors over {replay.span.error_ratio_window.text}", SERIES_COLOURS[0], ""),
        (f"error budget {budget:.3g}", _RED, _DASH),
    ]
    top, box = _panel_frame(frame, 130, "Error ratio", legend)
    values = [step.error_ratio for step in replay.steps]
    spanning = LogScale.spanning([*(v for v in values if v), budget], top + 130, top, min(budget / 10, 1e-4))
    scale = LogScale(spanning.low, min(spanning.high, 1.0), top + 130, top)
    body = "".join(_gridline(scale(tick), f"{tick:g}") for tick in scale.ticks())
    body += _hline(scale(budget)) + _line(replay, frame, values, scale, SERIES_COLOURS[0])
    if all(value is None for value in values):
        body += _no_data(top + 65, f"no data over {replay.span.error_ratio_window.text} at any step")
    return tag("g", box + body, id="error-ratio")


def _no_data(y: float, message: str) -> str:
    return tag("text", text(message), x=LEFT + PLOT_WIDTH / 2, y=y, text_anchor="middle", fill="#777")


def _burn_panel(replay: Replay, frame: _Frame) -> str:
    windows = [w.text for w in replay.slo.rule_windows]
    rules = replay.slo.burn_rate_rules
    colours = {w: SERIES_COLOURS[i % len(SERIES_COLOURS)] for i, w in enumerate(windows)}
    legend = [(f"burn rate over {w}", colours[w], "") for w in windows]
    dashes = [_RULE_DASHES[i % len(_RULE_DASHES)] for i in range(len(rules))]
    for rule, dash in zip(rules, dashes, strict=True):
        legend.append((f"{rule.name} {rule.threshold:g}x {rule.action.name}", _RED, dash))
    top, box = _panel_frame(frame, 170, "Burn rates against thresholds", legend)
    series = {w: [_burn(step, w) for step in replay.steps] for w in windows}
    every = [v for values in series.values() for v in values if v] + [r.threshold for r in rules]
    scale = LogScale.spanning(every, top + 170, top, 0.1)
    body = "".join(_gridline(scale(tick), f"{tick:g}x") for tick in scale.ticks())
    body += "".join(_hline(scale(r.threshold), dash=d) for r, d in zip(rules, dashes, strict=True))
    body += "".join(_line(replay, frame, series[w], scale, colours[w]) for w in windows)
    return tag("g", box + body, id="burn-rates")


def _burn(step: ReplayStep, window: str) -> float | None:
    burn = step.evaluation.burn_rates.get(window)
    return burn.burn_rate if burn is not None else None


def _budget_panel(replay: Replay, frame: _Frame) -> str:
    policy = replay.slo.budget_policy
    assert policy is not None
    limits = [(n, v) for n, v in (("blockBelow", policy.block_below), ("warnBelow", policy.warn_below)) if v]
    legend = [("budget left", SERIES_COLOURS[0], ""), *((f"{n} {v:.0%}", _RED, _DASH) for n, v in limits)]
    top, box = _panel_frame(frame, 90, f"Error budget left over {replay.slo.window.text}", legend)

    def y(value: float) -> float:
        return top + 90 - 90 * min(max(value, 0.0), 1.0)

    values = [s.evaluation.budget.budget_remaining if s.evaluation.budget else None for s in replay.steps]
    body = "".join(_gridline(y(v), f"{v:.0%}") for v in (0.0, 0.5, 1.0))
    body += "".join(_hline(y(v)) for _, v in limits) + _line(replay, frame, values, y, SERIES_COLOURS[0])
    return tag("g", box + body, id="budget-left")


def _band(replay: Replay, frame: _Frame) -> str:
    top = frame.top + 18
    frame.band_top, frame.top = top - 18, top + 28
    rects = ""
    steps = replay.steps
    run_start = 0
    for index in range(1, len(steps) + 1):
        if index < len(steps) and steps[index].evaluation.decision is steps[run_start].evaluation.decision:
            continue
        begin, end = steps[run_start].at, steps[index].at if index < len(steps) else replay.span.end
        decision = steps[run_start].evaluation.decision.name
        x0, x1 = frame.x(begin), frame.x(end)
        rects += tag(
            "rect",
            tag("title", text(f"{decision} from {_when(begin)} to {_when(end)}")),
            x=x0, y=top, width=max(x1 - x0, 1.0), height=28, fill=DECISION_COLOURS[decision],
            data_decision=decision, data_start=_iso(begin), data_end=_iso(end),
        )  # fmt: skip
        run_start = index
    keys = ""
    for index, (name, colour) in enumerate(DECISION_COLOURS.items()):
        keys += tag("rect", x=WIDTH - RIGHT + 10 + 58 * index, y=top + 8, width=12, height=12, fill=colour)
        keys += tag("text", name, x=WIDTH - RIGHT + 25 + 58 * index, y=top + 18, font_size=10)
    label = tag("text", "Decision", x=LEFT, y=top - 5, font_weight="bold")
    return label + tag("g", rects, id="decision-band") + keys


def _burn_shading(replay: Replay, frame: _Frame) -> str:
    """Drawn first (under everything), once the panels have set where the band begins."""
    frame_height = frame.band_top - _TOP
    return "".join(
        tag(
            "rect",
            class_="burn",
            x=frame.x(burn.start),
            y=_TOP,
            height=frame_height,
            width=max(frame.x(burn.end or replay.span.end) - frame.x(burn.start), 1.0),
            fill=_RED,
            fill_opacity="0.07",
            data_start=_iso(burn.start),
        )
        for burn in replay.burns
    )


def _time_axis(replay: Replay, frame: _Frame) -> str:
    top = frame.top + 4
    frame.top = top + 30
    interval = next((c for c in _TICK_CHOICES if frame.seconds / c <= _MAX_TICKS), _TICK_CHOICES[-1])
    tick = replay.span.start.timestamp() // interval * interval + interval
    ticks = ""
    while tick <= replay.span.end.timestamp():
        moment = datetime.fromtimestamp(tick, UTC)
        x = frame.x(moment)
        label = moment.strftime("%m-%d %H:%M" if frame.seconds > 86400 else "%H:%M")
        ticks += tag("line", x1=x, x2=x, y1=top - 4, y2=top + 2, stroke="#888")
        ticks += tag("text", label, x=x, y=top + 14, text_anchor="middle", font_size=10, fill="#333")
        tick += interval
    ticks += tag("text", "UTC", x=LEFT + PLOT_WIDTH, y=top + 28, text_anchor="end", font_size=10, fill="#555")
    return tag("g", ticks, id="time-axis")


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
