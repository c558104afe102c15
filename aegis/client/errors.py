"""Typed exceptions for every status a call can end with, from one table.

A caller catches what it can act on (``NotFoundError``: wrong SLO id; ``UnavailableError``: try
later) and every exception still carries the gRPC status (``code``, ``details``), whichever
transport the call used: a REST error body is google.rpc.Status, whose numeric ``code`` is the
same gRPC code, so both surfaces raise the same class for the same failure.

    try:
        evaluation = client.decide("checkout")
    except NotFoundError as err:
        print(err.code.name, err.details)   # NOT_FOUND no SLO with id 'checkout'; known SLOs: ...
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import grpc

__all__ = [
    "AbortedError",
    "AegisError",
    "AlreadyExistsError",
    "CancelledError",
    "DataLossError",
    "DeadlineExceededError",
    "FailedPreconditionError",
    "InternalError",
    "InvalidArgumentError",
    "NotFoundError",
    "OutOfRangeError",
    "PermissionDeniedError",
    "ResourceExhaustedError",
    "UnauthenticatedError",
    "UnavailableError",
    "UnimplementedError",
    "UnknownError",
    "error_for",
    "error_for_code_number",
]


class AegisError(Exception):
    """A call that ended without an answer: the gRPC status it ended with, and how many attempts it took."""

    code: grpc.StatusCode = grpc.StatusCode.UNKNOWN

    def __init__(self, details: str, *, attempts: int = 1) -> None:
        super().__init__(f"{self.code.name}: {details}" if details else self.code.name)
        self.details = details
        self.attempts = attempts


class CancelledError(AegisError):
    code = grpc.StatusCode.CANCELLED


class UnknownError(AegisError):
    code = grpc.StatusCode.UNKNOWN


class InvalidArgumentError(AegisError):
    code = grpc.StatusCode.INVALID_ARGUMENT


class DeadlineExceededError(AegisError):
    code = grpc.StatusCode.DEADLINE_EXCEEDED


class NotFoundError(AegisError):
    code = grpc.StatusCode.NOT_FOUND


class AlreadyExistsError(AegisError):
    code = grpc.StatusCode.ALREADY_EXISTS


class PermissionDeniedError(AegisError):
    code = grpc.StatusCode.PERMISSION_DENIED


class ResourceExhaustedError(AegisError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class FailedPreconditionError(AegisError):
    code = grpc.StatusCode.FAILED_PRECONDITION


class AbortedError(AegisError):
    code = grpc.StatusCode.ABORTED


class OutOfRangeError(AegisError):
    code = grpc.StatusCode.OUT_OF_RANGE


class UnimplementedError(AegisError):
    code = grpc.StatusCode.UNIMPLEMENTED


class InternalError(AegisError):
    code = grpc.StatusCode.INTERNAL


class UnavailableError(AegisError):
    code = grpc.StatusCode.UNAVAILABLE


class DataLossError(AegisError):
    code = grpc.StatusCode.DATA_LOSS


class UnauthenticatedError(AegisError):
    code = grpc.StatusCode.UNAUTHENTICATED


# The one table: every status but OK has its class (a test fails when grpc adds a code).
ERROR_BY_CODE: Mapping[grpc.StatusCode, type[AegisError]] = MappingProxyType(
    {
        error.code: error
        for error in (
            CancelledError,
            UnknownError,
            InvalidArgumentError,
            DeadlineExceededError,
            NotFoundError,
            AlreadyExistsError,
            PermissionDeniedError,
            ResourceExhaustedError,
            FailedPreconditionError,
            AbortedError,
            OutOfRangeError,
            UnimplementedError,
            InternalError,
            UnavailableError,
            DataLossError,
            UnauthenticatedError,
        )
    }
)
_CODE_BY_NUMBER: Mapping[int, grpc.StatusCode] = MappingProxyType(
    {code.value[0]: code for code in grpc.StatusCode}
)


def error_for(code: grpc.StatusCode, details: str, *, attempts: int = 1) -> AegisError:
    """The exception for a non-OK status; OK itself (a server bug) is UNKNOWN."""
    return ERROR_BY_CODE.get(code, UnknownError)(details, attempts=attempts)


def error_for_code_number(number: int, details: str, *, attempts: int = 1) -> AegisError:
    """The exception for google.rpc.Status's numeric ``code``; a number gRPC does not define is UNKNOWN."""
    return error_for(_CODE_BY_NUMBER.get(number, grpc.StatusCode.UNKNOWN), details, attempts=attempts)
