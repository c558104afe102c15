"""``aegis gate``: the release gate as a pipeline step, one line and an exit code.

    aegis gate --url "$AEGIS_URL" --slo checkout-availability
    aegis gate --server aegis:50051 --service checkout --environment production --fail-on warn
    aegis gate --url "$AEGIS_URL" --slo checkout-availability --dry-run --deployment-id checkout-v42

Exit codes: 0 ALLOW (and WARN unless ``--fail-on warn``), 1 BLOCK, 2 WARN with ``--fail-on warn``,
3 when no decision could be had: the server cannot be reached, answers an error (unknown SLO,
bad key...), or the command line is wrong. Under GitHub Actions it also writes annotations, a
step summary and step outputs (``aegis.cli._github``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from typing import Any, TextIO

from aegis.cli import _github
from aegis.cli._remote import UsageError, add_server_arguments, open_client
from aegis.client import AegisError, Decision, Deployment, GateTarget, Verdict, check

__all__ = ["EXIT_ALLOW", "EXIT_BLOCK", "EXIT_ERROR", "EXIT_WARN", "exit_code", "register", "run"]

EXIT_ALLOW = 0
EXIT_BLOCK = 1
EXIT_WARN = 2
EXIT_ERROR = 3

_FAIL_ON = {"block": Decision.BLOCK, "warn": Decision.WARN}

_EPILOG = """exit codes:
  0  ALLOW, or WARN without --fail-on warn
  1  BLOCK
  2  WARN with --fail-on warn
  3  no decision: the server cannot be reached, answered an error, or the command line is wrong
"""


def register(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subcommands.add_parser(
        "gate",
        help="ask the gate whether to deploy; the exit code says",
        description="Ask an AegisSLO server for the decision on one SLO, or on every SLO of a service "
        "in an environment (the worst decision wins), and exit with a code a pipeline can act on.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        usage_exit=EXIT_ERROR,  # aegis.cli.main.CommandParser takes it
    )
    what = parser.add_argument_group("what to gate on (an SLO, or a service and an environment)")
    what.add_argument("--slo", metavar="ID", help="the SLO's metadata.id")
    what.add_argument("--service", help="every SLO of this service...")
    what.add_argument("--environment", help="...in this environment")
    parser.add_argument(
        "--fresh", action="store_true", help="evaluate now instead of reading the latest evaluation"
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="ask in dry run: the server answers ALLOW (exit 0) and says what it would have answered",
    )
    context = parser.add_argument_group(
        "deployment context (recorded with the request in the server's audit; under GitHub Actions "
        "or GitLab CI each defaults to what the run says: the run as deployment id, its commit, its "
        "URL and the actor)"
    )
    context.add_argument("--deployment-id", metavar="ID", default="", help="the deployment this is for")
    context.add_argument("--commit", default="", help="the commit (or image digest) being deployed")
    context.add_argument(
        "--pipeline-url", metavar="URL", default="", help="where the pipeline run can be seen"
    )
    context.add_argument("--caller", default="", help="who or what asks")
    parser.add_argument(
        "--fail-on",
        choices=tuple(_FAIL_ON),
        default="block",
        help="the least severe decision that fails the step (default block; warn exits 2 on WARN)",
    )
    parser.add_argument(
        "--output", choices=("text", "json"), default="text", help="stdout format (default text)"
    )
    add_server_arguments(parser)
    parser.set_defaults(run=run)


def exit_code(verdict: Verdict, fail_on: Decision) -> int:
    if verdict.decision is Decision.BLOCK:
        return EXIT_BLOCK
    if verdict.decision is Decision.WARN and not verdict.passed(fail_on):
        return EXIT_WARN
    return EXIT_ALLOW


def run(
    args: argparse.Namespace,
    *,
    env: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    env = os.environ if env is None else env
    out = out or sys.stdout
    err = err or sys.stderr
    fail_on = _FAIL_ON[args.fail_on]
    try:
        target = GateTarget(args.slo, args.service, args.environment)
        client = open_client(args, env)
    except (UsageError, ValueError) as problem:
        return _could_not_decide(args, f"{problem}", env, out, err)
    try:
        with client:
            verdict = check(
                client, target, fresh=args.fresh, dry_run=args.dry_run, deployment=deployment(args, env)
            )
    except AegisError as problem:
        return _could_not_decide(args, str(problem), env, out, err, attempts=problem.attempts)
    code = exit_code(verdict, fail_on)
    passed = code == EXIT_ALLOW
    if args.output == "json":
        out.write(json.dumps(_verdict_json(verdict, fail_on, code), indent=2) + "\n")
    else:
        out.write(verdict.summary() + "\n")
    if _github.in_github_actions(env):
        out.write(_github.verdict_annotation(verdict, passed) + "\n")
        _append(env, "GITHUB_STEP_SUMMARY", _github.step_summary(verdict, passed), err)
        _append(env, "GITHUB_OUTPUT", f"decision={verdict.decision.name}\nexit-code={code}\n", err)
    return code


def deployment(args: argparse.Namespace, env: Mapping[str, str]) -> Deployment:
    """The options, with GitHub Actions' or GitLab CI's description of the run where one is empty."""
    given = Deployment(args.deployment_id, args.commit, args.pipeline_url, args.caller)
    return given.over(Deployment.from_ci_env(env))


def _verdict_json(verdict: Verdict, fail_on: Decision, code: int) -> dict[str, Any]:
    target = verdict.target
    return {
        "decision": verdict.decision.name,
        "dryRun": verdict.dry_run,
        "wouldBeDecision": verdict.would_be_decision.name if verdict.dry_run else None,
        "passed": code == EXIT_ALLOW,
        "exitCode": code,
        "failOn": fail_on.name,
        "target": {"sloID": target.slo_id}
        if target.slo_id
        else {"service": target.service, "environment": target.environment},
        "reasons": list(verdict.reasons),
        "evaluations": [evaluation.to_json() for evaluation in verdict.evaluations],
    }


def _could_not_decide(
    args: argparse.Namespace,
    problem: str,
    env: Mapping[str, str],
    out: TextIO,
    err: TextIO,
    attempts: int = 0,
) -> int:
    tries = f" (after {attempts} attempts)" if attempts > 1 else ""
    err.write(f"aegis gate: could not decide: {problem}{tries}\n")
    if args.output == "json":
        document = {"decision": None, "exitCode": EXIT_ERROR, "error": problem + tries}
        out.write(json.dumps(document, indent=2) + "\n")
    if _github.in_github_actions(env):
        out.write(_github.annotation("error", f"could not decide: {problem}{tries}") + "\n")
        summary = f"### {_github.TITLE}: could not decide\n\n{problem}{tries}\n"
        _append(env, "GITHUB_STEP_SUMMARY", summary, err)
        _append(env, "GITHUB_OUTPUT", f"decision=ERROR\nexit-code={EXIT_ERROR}\n", err)
    return EXIT_ERROR


def _append(env: Mapping[str, str], variable: str, text: str, err: TextIO) -> None:
    """Append to the file GitHub names in ``variable``; a failure is reported, never fatal."""
    path = env.get(variable)
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as target:
            target.write(text)
    except OSError as problem:
        err.write(f"aegis gate: cannot write {variable} ({path}): {problem.strerror or problem}\n")
