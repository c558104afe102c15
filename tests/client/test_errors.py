"""The one table from gRPC status to exception."""

from __future__ import annotations

import grpc
import pytest

from aegis.client import errors
from aegis.client.errors import ERROR_BY_CODE, AegisError, error_for, error_for_code_number


def test_every_status_but_ok_has_its_own_exception() -> None:
    assert set(ERROR_BY_CODE) == set(grpc.StatusCode) - {grpc.StatusCode.OK}
    assert len(set(ERROR_BY_CODE.values())) == len(ERROR_BY_CODE)
    for code, error in ERROR_BY_CODE.items():
        assert error.code is code
        assert issubclass(error, AegisError)
        assert error.__name__ in errors.__all__


@pytest.mark.parametrize("code", list(grpc.StatusCode), ids=lambda code: code.name)
def test_the_numeric_code_of_a_rest_error_finds_the_same_class(code: grpc.StatusCode) -> None:
    by_number = error_for_code_number(code.value[0], "why")
    assert type(by_number) is type(error_for(code, "why"))
    assert by_number.details == "why"


def test_codes_grpc_does_not_define_are_unknown() -> None:
    assert error_for_code_number(99, "?").code is grpc.StatusCode.UNKNOWN
    assert error_for(grpc.StatusCode.OK, "a server bug").code is grpc.StatusCode.UNKNOWN


def test_the_message_names_the_status() -> None:
    error = error_for(grpc.StatusCode.NOT_FOUND, "no SLO with id 'x'", attempts=2)
    assert str(error) == "NOT_FOUND: no SLO with id 'x'"
    assert error.attempts == 2
