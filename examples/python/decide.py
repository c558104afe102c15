"""A Python script that asks the gate: the decision for one SLO, and exit 1 on BLOCK.

python examples/python/decide.py localhost:50051 api-availability
"""

from __future__ import annotations

import sys

from aegis.client import AegisClient, AegisError, Decision


def main(target: str = "localhost:50051", slo_id: str = "api-availability") -> int:
    try:
        with AegisClient(target) as client:
            evaluation = client.decide(slo_id)
    except AegisError as err:  # NotFoundError, UnavailableError, ... each carries err.code
        print(f"could not decide: {err}", file=sys.stderr)
        return 3
    print(f"{evaluation.decision.name} {slo_id}: {'; '.join(evaluation.reasons)}")
    return 1 if evaluation.decision is Decision.BLOCK else 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:3]))
