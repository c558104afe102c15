import datetime

from aegis.v1 import auth_pb2 as _auth_pb2
from aegis.v1 import evaluation_pb2 as _evaluation_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListAuditRecordsRequest(_message.Message):
    __slots__ = ("slo_id", "service", "environment", "decision", "start_time", "end_time", "limit", "page_token", "offset", "kind", "deployment_id", "commit", "pipeline_url", "caller", "api_key_name")
    SLO_ID_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    DEPLOYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_URL_FIELD_NUMBER: _ClassVar[int]
    CALLER_FIELD_NUMBER: _ClassVar[int]
    API_KEY_NAME_FIELD_NUMBER: _ClassVar[int]
    slo_id: str
    service: str
    environment: str
    decision: _evaluation_pb2.Decision
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    limit: int
    page_token: str
    offset: int
    kind: _evaluation_pb2.AuditRecordKind
    deployment_id: str
    commit: str
    pipeline_url: str
    caller: str
    api_key_name: str
    def __init__(self, slo_id: _Optional[str] = ..., service: _Optional[str] = ..., environment: _Optional[str] = ..., decision: _Optional[_Union[_evaluation_pb2.Decision, str]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., limit: _Optional[int] = ..., page_token: _Optional[str] = ..., offset: _Optional[int] = ..., kind: _Optional[_Union[_evaluation_pb2.AuditRecordKind, str]] = ..., deployment_id: _Optional[str] = ..., commit: _Optional[str] = ..., pipeline_url: _Optional[str] = ..., caller: _Optional[str] = ..., api_key_name: _Optional[str] = ...) -> None: ...

class ListAuditRecordsResponse(_message.Message):
    __slots__ = ("records", "next_page_token", "total")
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[_evaluation_pb2.Evaluation]
    next_page_token: str
    total: int
    def __init__(self, records: _Optional[_Iterable[_Union[_evaluation_pb2.Evaluation, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total: _Optional[int] = ...) -> None: ...

class VerifyAuditChainRequest(_message.Message):
    __slots__ = ("expected_head",)
    EXPECTED_HEAD_FIELD_NUMBER: _ClassVar[int]
    expected_head: _evaluation_pb2.AuditChainLink
    def __init__(self, expected_head: _Optional[_Union[_evaluation_pb2.AuditChainLink, _Mapping]] = ...) -> None: ...

class VerifyAuditChainResponse(_message.Message):
    __slots__ = ("intact", "records_checked", "anchor", "head", "first_broken", "unchained_records", "expected_head_problem")
    INTACT_FIELD_NUMBER: _ClassVar[int]
    RECORDS_CHECKED_FIELD_NUMBER: _ClassVar[int]
    ANCHOR_FIELD_NUMBER: _ClassVar[int]
    HEAD_FIELD_NUMBER: _ClassVar[int]
    FIRST_BROKEN_FIELD_NUMBER: _ClassVar[int]
    UNCHAINED_RECORDS_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_HEAD_PROBLEM_FIELD_NUMBER: _ClassVar[int]
    intact: bool
    records_checked: int
    anchor: _evaluation_pb2.AuditChainLink
    head: _evaluation_pb2.AuditChainLink
    first_broken: BrokenAuditRecord
    unchained_records: int
    expected_head_problem: str
    def __init__(self, intact: _Optional[bool] = ..., records_checked: _Optional[int] = ..., anchor: _Optional[_Union[_evaluation_pb2.AuditChainLink, _Mapping]] = ..., head: _Optional[_Union[_evaluation_pb2.AuditChainLink, _Mapping]] = ..., first_broken: _Optional[_Union[BrokenAuditRecord, _Mapping]] = ..., unchained_records: _Optional[int] = ..., expected_head_problem: _Optional[str] = ...) -> None: ...

class BrokenAuditRecord(_message.Message):
    __slots__ = ("sequence", "id", "problem")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    id: str
    problem: str
    def __init__(self, sequence: _Optional[int] = ..., id: _Optional[str] = ..., problem: _Optional[str] = ...) -> None: ...
