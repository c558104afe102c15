"""GitHub Actions output for ``aegis gate``: annotations, a step summary and step outputs.

Annotations are workflow commands on stdout (``::error title=T::message``), which GitHub shows on
the run and the pull request. The step summary is Markdown appended to the file named by
``GITHUB_STEP_SUMMARY``; ``decision=...`` and ``exit-code=...`` go to ``GITHUB_OUTPUT`` so later
steps can read ``steps.<id>.outputs.decision``. Escaping follows the runner's rules
(actions/toolkit, packages/core/src/command.ts).
"""

from __future__ import annotations

from collections.abc import Mapping

from aegis.client import Decision, Evaluation, Verdict
from aegis.client.explanation import explain, format_burn_rate

__all__ = ["TITLE", "annotation", "in_github_actions", "step_summary", "verdict_annotation"]

TITLE = "AegisSLO gate"


def in_github_actions(env: Mapping[str, str]) -> bool:
    return env.get("GITHUB_ACTIONS") == "true" or bool(env.get("GITHUB_STEP_SUMMARY"))


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(level: str, message: str) -> str:
    """``::error title=AegisSLO gate::message``; level is error, warning or notice."""
    return f"::{level} title={_escape_property(TITLE)}::{_escape_data(message)}"


def verdict_annotation(verdict: Verdict, passed: bool) -> str:
    if not passed:
        return annotation("error", verdict.summary())
    if verdict.decision is Decision.WARN:
        return annotation("warning", verdict.summary())
    return annotation("notice", verdict.summary())


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def step_summary(verdict: Verdict, passed: bool) -> str:
    """Markdown: the verdict, one row per SLO, and each SLO's rules against their thresholds."""
    mark = "passed" if passed else "failed"
    lines = [
        f"### {TITLE}: {verdict.decision.name} for `{verdict.target}` ({mark})",
        "",
        *(f"- {_cell(reason)}" for reason in verdict.reasons),
        "",
    ]
    if verdict.evaluations:
        lines += ["| SLO | Decision | Budget left | Data |", "|---|---|---|---|"]
        lines += [_slo_row(evaluation) for evaluation in verdict.evaluations]
        lines.append("")
    for evaluation in verdict.evaluations:
        lines += _rules_table(evaluation)
    return "\n".join(lines) + "\n"


def _slo_row(evaluation: Evaluation) -> str:
    budget = f"{evaluation.sli.budget_remaining:.1%}" if evaluation.sli else "unknown"
    data = "trustworthy" if evaluation.flags.trustworthy else "not trustworthy"
    return f"| `{evaluation.slo_id}` | {evaluation.decision.name} | {budget} | {data} |"


def _rules_table(evaluation: Evaluation) -> list[str]:
    if not evaluation.rules:
        return []
    lines = [
        f"<details><summary>{evaluation.slo_id}: rules</summary>",
        "",
        "| Rule | Windows | Burn rates | Threshold | Action | State |",
        "|---|---|---|---|---|---|",
    ]
    for rule in evaluation.rules:
        state = "fired" if rule.fired else ("quiet" if rule.evaluated else "not evaluated")
        lines.append(
            f"| {_cell(rule.name)} | {rule.short_window} / {rule.long_window} "
            f"| {format_burn_rate(rule.short_burn_rate)} / {format_burn_rate(rule.long_burn_rate)} "
            f"| {format_burn_rate(rule.threshold)} | {rule.action.name} | {state} |"
        )
    opening = explain(evaluation).to_open()
    if opening:
        lines += ["", "For the gate to open:", *(f"- {_cell(item)}" for item in opening)]
    lines += ["", "</details>", ""]
    return lines
