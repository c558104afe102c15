"""The two pages, from what the API answered: every SLO, and one SLO in full.

The overview shows each SLO's latest recorded decision, the error budget left and one burn-rate
sparkline per rule (its short window against its threshold, over the last evaluations). An SLO's
page adds its rules and budget policy, the reasons, a sparkline per window, the last transitions
found in the audit, and the replay picture of the last hours.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape
from urllib.parse import quote

from aegis.replay.svg import sparkline
from aegis.status.html import badge, budget_left, decision_name, dry_run_note, page, percent, rate, rows, when
from aegis.v1 import evaluation_pb2, replay_pb2, slo_pb2

Evaluation = evaluation_pb2.Evaluation


def overview(slos: Sequence[slo_pb2.SLO], audits: Sequence[Sequence[Evaluation]], now: datetime) -> str:
    """``audits[i]``: the newest records of ``slos[i]``, newest first."""
    latest = [records[0] if records else None for records in audits]
    counts = {name: sum(1 for e in latest if e is not None and decision_name(e.decision) == name)
              for name in ("ALLOW", "WARN", "BLOCK")}  # fmt: skip
    summary = " · ".join(f"{count} {name}" for name, count in counts.items())
    header = (
        "<h1>AegisSLO status</h1>"
        f"<p>{len(slos)} SLOs · {summary} · as of {now.astimezone(UTC).strftime('%Y-%m-%d %H:%M:%S')} UTC"
        " · latest recorded decisions</p>"
    )
    body = "".join(_overview_row(slo, records) for slo, records in zip(slos, audits, strict=True))
    table = (
        '<section><table id="slos"><thead><tr><th>SLO</th><th>Service</th><th>Decision</th>'
        "<th>Budget left</th><th>Burn rate per rule (short window, last evaluations)</th>"
        f"<th>Evaluated</th></tr></thead><tbody>{body}</tbody></table></section>"
    )
    return page("AegisSLO status", header, table)


def _overview_row(slo: slo_pb2.SLO, records: Sequence[Evaluation]) -> str:
    latest = records[0] if records else None
    left = budget_left(latest, slo.window)
    link = f'<a href="slo/{quote(slo.id)}">{escape(slo.id)}</a>'
    name = f'<div class="sub">{escape(slo.name)}</div>' if slo.name else ""
    decision = (
        (badge(latest.decision) + dry_run_note(latest)) if latest else '<span class="sub">not yet</span>'
    )
    sparks = "".join(
        _spark(records, rule.short_window, rule.threshold, f"{rule.name} ({rule.short_window})")
        for rule in slo.burn_rate_rules
    )
    return (
        f'<tr data-slo="{escape(slo.id)}"><td>{link}{name}</td>'
        f"<td>{escape(slo.service)} / {escape(slo.environment)}</td><td>{decision}</td>"
        f'<td class="budget num" data-budget="{_value(left)}">{percent(left)}</td>'
        f"<td>{sparks}</td><td>{when(latest.timestamp) if latest else '—'}</td></tr>"
    )


def _spark(records: Sequence[Evaluation], window: str, threshold: float, label: str) -> str:
    """Oldest first; a record without that window's burn rate is a gap."""
    values = [r.burn_rates[window].burn_rate if window in r.burn_rates else None for r in reversed(records)]
    shown = [v for v in values if v is not None]
    last = rate(shown[-1]) if shown else "—"
    title = f"{label}: burn rate over the last {len(values)} evaluations, threshold {threshold:g}x"
    picture = sparkline(values, threshold=threshold, label=title, width=120, height=26)
    caption = f"<span>{escape(label)} {last}</span>"
    return f'<span class="spark" data-window="{escape(window)}">{picture}{caption}</span>'


def slo_page(
    slo: slo_pb2.SLO,
    records: Sequence[Evaluation],
    replay: replay_pb2.ReplayResponse | None,
    replay_problem: str | None,
) -> str:
    latest = records[0] if records else None
    header = (
        '<p><a href="../">← all SLOs</a></p>'
        f"<h1>{escape(slo.id)}</h1><p>{escape(slo.name or slo.description)} · {escape(slo.service)} / "
        f"{escape(slo.environment)} · objective {slo.objective:.4g} over {escape(slo.window)}"
        f"{' · owner ' + escape(slo.owner) if slo.owner else ''}</p>"
    )
    sections = [
        _now(slo, latest),
        _rules(slo, latest),
        _windows(records, latest),
        _transitions(records),
        _replay(replay, replay_problem),
    ]
    return page(f"{slo.id} · AegisSLO status", header, "".join(sections))


def _now(slo: slo_pb2.SLO, latest: Evaluation | None) -> str:
    trial = (
        '<p class="note" id="dry-run">This SLO is in dry run (spec.dryRun): its decisions are recorded here '
        "and in the audit, but every gate answer is ALLOW.</p>"
        if slo.dry_run
        else ""
    )
    error = (
        f'<p class="error">Last data-source error: {escape(slo.status.last_error)}</p>'
        if slo.status.last_error
        else ""
    )
    if latest is None:
        return f'<section id="now"><h2>Now</h2>{trial}<p>Not evaluated yet.</p>{error}</section>'
    reasons = "".join(f"<li>{escape(reason)}</li>" for reason in latest.reasons)
    left = budget_left(latest, slo.window)
    budget = f'<span class="budget num" data-budget="{_value(left)}">{percent(left)}</span>'
    return (
        f'<section id="now"><h2>Now</h2>{trial}<p>{badge(latest.decision)}{dry_run_note(latest)} '
        f"at {when(latest.timestamp)} · budget left {budget} over {escape(slo.window)}</p>"
        f'<ul class="reasons">{reasons}</ul>{error}</section>'
    )


def _rules(slo: slo_pb2.SLO, latest: Evaluation | None) -> str:
    outcomes = {rule.name: rule for rule in latest.rules} if latest else {}
    cells = []
    for rule in slo.burn_rate_rules:
        outcome = outcomes.get(rule.name)
        fired = (
            "—"
            if outcome is None
            else ("FIRED" if outcome.fired else "no")
            if outcome.evaluated
            else "not evaluated"
        )
        cells.append([
            escape(rule.name), f"{escape(rule.short_window)} / {escape(rule.long_window)}",
            f'<span class="num">{rule.threshold:g}x</span>', badge(rule.action),
            _burns(outcome), fired,
        ])  # fmt: skip
    head = "".join(
        f"<th>{name}</th>"
        for name in (
            "Rule",
            "Windows (short / long)",
            "Threshold",
            "Action",
            "Burn rate now (short / long)",
            "Fired",
        )
    )
    table = f'<table id="rules"><thead><tr>{head}</tr></thead><tbody>{rows(cells)}</tbody></table>'
    return f"<section><h2>Rules</h2>{table}{_budget_policy(slo, latest)}</section>"


def _burns(outcome: evaluation_pb2.RuleResult | None) -> str:
    if outcome is None or not outcome.evaluated:
        return "—"
    return f'<span class="num">{rate(outcome.short_burn_rate)} / {rate(outcome.long_burn_rate)}</span>'


def _budget_policy(slo: slo_pb2.SLO, latest: Evaluation | None) -> str:
    if not slo.HasField("budget_policy"):
        return '<p class="sub">No error-budget policy (spec.budgetPolicy).</p>'
    policy = slo.budget_policy
    limits = []
    if policy.HasField("block_below"):
        limits.append(f"BLOCK below {percent(policy.block_below)}")
    if policy.HasField("warn_below"):
        limits.append(f"WARN below {percent(policy.warn_below)}")
    result = latest.budget_policy if latest is not None and latest.HasField("budget_policy") else None
    verdict = (
        badge(result.action)
        if result is not None and result.HasField("action")
        else '<span class="sub">not evaluated</span>'
    )
    return (
        f'<p id="budget-policy">Error-budget policy: {", ".join(limits)} of the {escape(slo.window)} budget '
        f"left; now {verdict}</p>"
    )


def _windows(records: Sequence[Evaluation], latest: Evaluation | None) -> str:
    if latest is None:
        return ""
    sparks = "".join(
        _spark(records, window, burn.threshold, window) for window, burn in sorted(latest.burn_rates.items())
    )
    title = f"Burn rates over the last {len(records)} evaluations"
    return f'<section id="sparklines"><h2>{title}</h2>{sparks}</section>'


def _transitions(records: Sequence[Evaluation], shown: int = 10) -> str:
    """Decision changes found in the records (newest first), the newest ``shown`` of them."""
    changes = []
    for newer, older in itertools.pairwise(records):
        if newer.decision != older.decision:
            changes.append((newer, older.decision))
    cells = [
        [when(e.timestamp), badge(before), badge(e.decision) + dry_run_note(e), escape("; ".join(e.reasons))]
        for e, before in changes[:shown]
    ]
    body = rows(cells) if cells else '<tr><td colspan="4" class="sub">No change in these records.</td></tr>'
    return (
        f"<section><h2>Last transitions (from the newest {len(records)} audit records)</h2>"
        '<table id="transitions"><thead><tr><th>Time</th><th>From</th><th>To</th><th>Reasons</th></tr>'
        f"</thead><tbody>{body}</tbody></table></section>"
    )


def _replay(replay: replay_pb2.ReplayResponse | None, problem: str | None) -> str:
    if replay is None:
        failed = f'<p class="error">No replay: {escape(problem or "")}</p>'
        return f'<section id="replay"><h2>Replay</h2>{failed}</section>'
    hours = (replay.end_time.seconds - replay.start_time.seconds) / 3600
    return (
        f'<section id="replay"><h2>Replay of the last {hours:g} hours (every {escape(replay.step)})</h2>'
        f'<div class="picture">{replay.picture_svg}</div></section>'
    )


def _value(number: float | None) -> str:
    """A number for a data- attribute, exactly as the API gave it (tests compare the two)."""
    return "" if number is None else repr(number)
