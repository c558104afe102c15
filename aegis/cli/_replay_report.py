"""A ReplayResponse as text for a terminal: summary, timeline, transitions, burns.

Printed from the contract's message, whether it came from a server or was computed here, so
``aegis replay`` reads the same either way (``--output json`` prints the message itself).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta

from google.protobuf.timestamp_pb2 import Timestamp

from aegis.engine.reasons import format_duration
from aegis.v1 import evaluation_pb2, replay_pb2

_NAMES = {evaluation_pb2.ALLOW: "ALLOW", evaluation_pb2.WARN: "WARN", evaluation_pb2.BLOCK: "BLOCK"}


def report(response: replay_pb2.ReplayResponse) -> str:
    lines = [
        f"Replay of {response.slo.id} from {_time(response.start_time)} to {_time(response.end_time)}, "
        f"every {response.step} ({len(response.steps)} steps)",
    ]
    if response.overrides:
        lines.append(f"with {', '.join(response.overrides)}")
    lines.append(
        f"minutes: ALLOW {response.minutes_allowed:.1f}, WARN {response.minutes_warned:.1f}, "
        f"BLOCK {response.minutes_blocked:.1f}"
    )
    lines += ["", "Timeline", *_table(("FROM", "TO", "DECISION", "MINUTES"), _runs(response))]
    lines += ["", "Transitions", *_table(("TIME", "FROM", "TO", "REASON"), _transitions(response))]
    burns = list(_burns(response))
    lines += [
        "",
        f"Burns (error ratio over {response.error_ratio_window} at or above the lowest rule threshold)",
    ]
    headers = ("START", "END", "DETECTED", "DETECTION", "RESET", "RESET AFTER END", "PEAK", "WORST")
    lines += _table(headers, burns) if burns else ["  none"]
    return "\n".join(lines) + "\n"


def _runs(response: replay_pb2.ReplayResponse) -> Iterable[Sequence[str]]:
    steps = response.steps
    start = 0
    for index in range(1, len(steps) + 1):
        if index < len(steps) and steps[index].decision == steps[start].decision:
            continue
        until = steps[index].timestamp if index < len(steps) else response.end_time
        minutes = (until.ToSeconds() - steps[start].timestamp.ToSeconds()) / 60
        yield _time(steps[start].timestamp), _time(until), _NAMES[steps[start].decision], f"{minutes:.1f}"
        start = index


def _transitions(response: replay_pb2.ReplayResponse) -> Iterable[Sequence[str]]:
    for transition in response.transitions:
        previous = _NAMES.get(transition.previous_decision, "-")
        reason = "; ".join(transition.reasons)
        yield _time(transition.timestamp), previous, _NAMES[transition.decision], reason


def _burns(response: replay_pb2.ReplayResponse) -> Iterable[Sequence[str]]:
    for burn in response.burns:
        detected = burn.HasField("detected_time")
        reset = burn.HasField("reset_time") and burn.HasField("end_time")
        yield (
            _time(burn.start_time),
            _time(burn.end_time) if burn.HasField("end_time") else "(ongoing)",
            _time(burn.detected_time) if detected else "not detected",
            _seconds(burn.detection_seconds) if detected else "-",
            _time(burn.reset_time) if burn.HasField("reset_time") else "-",
            _seconds(burn.reset_seconds) if reset else "-",
            f"{burn.peak_burn_rate:.1f}x",
            _NAMES.get(burn.worst_decision, "-"),
        )


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    body = [list(row) for row in rows]
    if not body:
        return ["  none"]
    # The last column (reasons) is not padded: it is as long as it is.
    widths = [max(len(r[i]) for r in [list(headers), *body]) for i in range(len(headers) - 1)]
    return [
        "  " + "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]])
        for row in [list(headers), *body]
    ]


def _time(stamp: Timestamp) -> str:
    return stamp.ToJsonString().replace(".000Z", "Z") if stamp.seconds or stamp.nanos else "-"


def _seconds(seconds: float) -> str:
    return format_duration(timedelta(seconds=seconds)) if seconds >= 1 else "0s"
