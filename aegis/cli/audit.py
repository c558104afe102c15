"""``aegis audit list|verify``: read the audit, and prove it has not been tampered with.

    aegis audit list --url "$AEGIS_URL" --deployment-id checkout-v42
    aegis audit verify --db-url postgresql+psycopg://aegis@db/aegis

``list`` asks a server (``--server``/``--url``, as ``aegis gate``) for one page of records, newest
first, with who asked for what. ``verify`` opens the database itself and walks the hash chain
(docs/audit.md). Exit codes: ``list`` 0, or 2 when the server cannot answer; ``verify`` 0 when
the chain holds, 1 when it is broken (the first broken record is named) or records sit outside
it, 2 when it cannot be checked (no database, unreachable, schema not upgraded).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from typing import Any, TextIO

from google.protobuf import json_format

from aegis.cli._database_options import add_database_options
from aegis.cli._remote import UsageError, add_server_arguments, open_client
from aegis.client import AegisError
from aegis.v1 import audit_pb2, evaluation_pb2

EXIT_OK = 0
EXIT_BROKEN = 1
EXIT_ERROR = 2

_KINDS = {
    "evaluation": evaluation_pb2.AUDIT_RECORD_KIND_EVALUATION,
    "gate-request": evaluation_pb2.AUDIT_RECORD_KIND_GATE_REQUEST,
}

_VERIFY_EPILOG = """exit codes:
  0  the chain holds: every record as written, none missing, none outside it
  1  the chain is broken (the first broken record is named), records sit outside it, or the
     --expect-head noted earlier is no longer in it
  2  the chain could not be checked: no such database, unreachable, schema not upgraded
"""


def register(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subcommands.add_parser(
        "audit",
        help="list audit records, or verify the audit's hash chain",
        description="List audit records (from a server) or verify the audit's hash chain (on the database).",
    )
    parser.set_defaults(run=_no_action)
    actions = parser.add_subparsers(title="actions", metavar="ACTION")
    listing = actions.add_parser(
        "list",
        help="records from a server, newest first, with who asked for what",
        description="One page of audit records from a server, newest first: evaluations and gate "
        "requests with their deployment context.",
    )
    listing.add_argument("--slo", metavar="ID", help="only this SLO")
    listing.add_argument("--kind", choices=tuple(_KINDS), help="only evaluations, or only gate requests")
    for flag, what in (
        ("--deployment-id", "deployment id"),
        ("--commit", "commit"),
        ("--pipeline-url", "pipeline URL"),
        ("--caller", "caller"),
        ("--api-key-name", "API key name"),
    ):
        listing.add_argument(flag, help=f"only gate requests with this {what}")
    listing.add_argument("--limit", type=int, default=20, help="records to show (default 20, at most 1000)")
    listing.add_argument("--output", choices=("text", "json"), default="text", help="stdout format")
    add_server_arguments(listing)
    listing.set_defaults(run=run_list)
    verify = actions.add_parser(
        "verify",
        help="prove the hash chain, or name the first broken record",
        description="Walk the audit's hash chain on the database, from the anchor retention left "
        "to the newest record, and say whether every record is as it was written.",
        epilog=_VERIFY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_database_options(verify, os.environ)
    verify.add_argument(
        "--expect-head",
        metavar="SEQUENCE:HASH",
        help="a head printed by an earlier verify (kept where the database's writers cannot change it): "
        "it must still be in the chain, which catches a cut tail or a chain rewritten with new hashes",
    )
    verify.add_argument("--output", choices=("text", "json"), default="text", help="stdout format")
    verify.set_defaults(run=_verify)


def _verify(args: argparse.Namespace) -> int:
    from aegis.cli import _audit_verify  # SQLAlchemy only when needed

    return _audit_verify.run(args)


def run_list(
    args: argparse.Namespace, *, env: Mapping[str, str] | None = None, out: TextIO | None = None
) -> int:
    out = out or sys.stdout
    request = audit_pb2.ListAuditRecordsRequest(
        slo_id=args.slo or "",
        kind=_KINDS.get(args.kind or "", evaluation_pb2.AUDIT_RECORD_KIND_UNSPECIFIED),
        deployment_id=args.deployment_id or "",
        commit=args.commit or "",
        pipeline_url=args.pipeline_url or "",
        caller=args.caller or "",
        api_key_name=args.api_key_name or "",
        limit=args.limit,
    )
    try:
        with open_client(args, env) as client:
            page = client.list_audit(request)
    except (UsageError, ValueError, AegisError) as problem:
        print(f"aegis audit list: error: {problem}", file=sys.stderr)
        return EXIT_ERROR
    if args.output == "json":
        out.write(json_format.MessageToJson(page, indent=2) + "\n")
        return EXIT_OK
    out.write(_table([_row(record) for record in page.records]))
    out.write(f"{len(page.records)} of {page.total} matching record(s)\n")
    return EXIT_OK


_COLUMNS = ("TIME", "KIND", "SLO", "DECISION", "DEPLOYMENT", "COMMIT", "CALLER", "API KEY", "ID")


def _row(record: evaluation_pb2.Evaluation) -> tuple[str, ...]:
    decision = evaluation_pb2.Decision.Name(record.decision)
    if record.dry_run:
        decision += " (dry run)"
    request = record.gate_request
    gate = record.HasField("gate_request")
    return (
        record.timestamp.ToJsonString(),
        "gate request" if gate else "evaluation",
        record.slo_id,
        decision,
        request.deployment_id or "-" if gate else "",
        request.commit[:12] or "-" if gate else "",
        request.caller or "-" if gate else "",
        request.api_key_name or "-" if gate else "",
        record.id,
    )


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(value) for value in column) for column in zip(_COLUMNS, *rows, strict=False)]
    lines = [
        "  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip()
        for row in [_COLUMNS, *rows]
    ]
    return "\n".join(lines) + "\n"


def _no_action(args: argparse.Namespace) -> int:
    print("aegis audit: error: an action is required: aegis audit list | verify", file=sys.stderr)
    return EXIT_ERROR


def report_json(report: Any) -> str:
    """The verdict as the REST surface's VerifyAuditChain answer prints it."""
    from aegis.api.convert import chain_report_to_pb

    message = chain_report_to_pb(report)
    return json.dumps(json_format.MessageToDict(message, always_print_fields_with_no_presence=True), indent=2)
