"""The status pages' frame and small pieces: layout, style, decision badges, numbers.

Plain HTML with one inline stylesheet and no script: nothing to build, nothing to fetch, and a
Content-Security-Policy that forbids scripts altogether (routes). Every text from outside (SLO
fields, reasons) goes through ``escape``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from html import escape
from importlib import resources

from google.protobuf.timestamp_pb2 import Timestamp

from aegis.engine.reasons import format_rate
from aegis.replay.svg import DECISION_COLOURS
from aegis.v1 import evaluation_pb2

DECISION_NAMES: dict[int, str] = {
    int(evaluation_pb2.ALLOW): "ALLOW",
    int(evaluation_pb2.WARN): "WARN",
    int(evaluation_pb2.BLOCK): "BLOCK",
}

# Read once: the pages inline it (no second request, nothing a CSP must allow but inline style).
_STYLE = (resources.files(__package__).joinpath("status.css").read_text(encoding="utf-8")) + "".join(
    f".decision.{name}{{background:{colour}}}" for name, colour in DECISION_COLOURS.items()
)


def page(title: str, header: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><header>{header}</header><main>{body}</main></body></html>"
    )


def decision_name(value: int) -> str:
    return DECISION_NAMES.get(value, "none")


def badge(value: int) -> str:
    name = decision_name(value)
    return f'<span class="decision {name}" data-decision="{name}">{name}</span>'


def dry_run_note(evaluation: evaluation_pb2.Evaluation) -> str:
    """Said next to any decision made in dry run, so it cannot pass for an enforced one."""
    if not evaluation.dry_run:
        return ""
    note = "dry run: the gate answers ALLOW"
    return f'<span class="dry-run" title="recorded, not enforced">{note}</span>'


def budget_left(evaluation: evaluation_pb2.Evaluation | None, compliance_window: str) -> float | None:
    """The compliance window's budget left, as the API reports it; None when not known."""
    if evaluation is None:
        return None
    if evaluation.HasField("budget_policy") and evaluation.budget_policy.HasField("budget_remaining"):
        return evaluation.budget_policy.budget_remaining
    if evaluation.HasField("sli") and evaluation.sli.window == compliance_window:
        return evaluation.sli.budget_remaining
    return None


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def rate(value: float) -> str:
    return format_rate(value)


def when(stamp: Timestamp) -> str:
    if not (stamp.seconds or stamp.nanos):
        return "—"
    moment = stamp.ToDatetime(tzinfo=UTC)
    return f'<time datetime="{_iso(moment)}">{moment.strftime("%Y-%m-%d %H:%M:%S")} UTC</time>'


def rows(cells: Iterable[Iterable[str]]) -> str:
    return "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in cells)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
