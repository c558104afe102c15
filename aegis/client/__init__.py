"""Python clients for an AegisSLO server: blocking and asyncio gRPC, and REST.

    from aegis.client import AegisClient, Decision

    with AegisClient("localhost:50051") as client:
        evaluation = client.decide("api-availability")
        print(evaluation.decision, evaluation.reasons)

Results are frozen dataclasses (``aegis.client.results``); failures are ``AegisError``
subclasses carrying the gRPC status (``aegis.client.errors``); UNAVAILABLE is retried with
backoff within each call's timeout (``aegis.client.retry``). ``api_key`` sends
``authorization: Bearer KEY``; ``tls`` takes ``True`` or a ``TLS`` (CA, client certificate).
"""

from __future__ import annotations

from aegis.client.aio import AsyncAegisClient
from aegis.client.deployment import Deployment
from aegis.client.errors import (
    AegisError,
    DeadlineExceededError,
    FailedPreconditionError,
    InternalError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    UnauthenticatedError,
    UnavailableError,
)
from aegis.client.gate import GateClient, GateTarget, Verdict, check
from aegis.client.options import TLS
from aegis.client.rest import RestClient
from aegis.client.results import (
    DataFlags,
    Decision,
    Evaluation,
    RuleResult,
    ServiceState,
    SLISummary,
    SLOSummary,
    WindowBurnRate,
)
from aegis.client.retry import RetryPolicy
from aegis.client.sync import AegisClient

__all__ = [
    "TLS",
    "AegisClient",
    "AegisError",
    "AsyncAegisClient",
    "DataFlags",
    "DeadlineExceededError",
    "Decision",
    "Deployment",
    "Evaluation",
    "FailedPreconditionError",
    "GateClient",
    "GateTarget",
    "InternalError",
    "InvalidArgumentError",
    "NotFoundError",
    "PermissionDeniedError",
    "RestClient",
    "RetryPolicy",
    "RuleResult",
    "SLISummary",
    "SLOSummary",
    "ServiceState",
    "UnauthenticatedError",
    "UnavailableError",
    "Verdict",
    "WindowBurnRate",
    "check",
]
