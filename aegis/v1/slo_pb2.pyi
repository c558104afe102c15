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

class BurnRateRule(_message.Message):
    __slots__ = ("name", "short_window", "long_window", "threshold", "action")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SHORT_WINDOW_FIELD_NUMBER: _ClassVar[int]
    LONG_WINDOW_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    name: str
    short_window: str
    long_window: str
    threshold: float
    action: _evaluation_pb2.Decision
    def __init__(self, name: _Optional[str] = ..., short_window: _Optional[str] = ..., long_window: _Optional[str] = ..., threshold: _Optional[float] = ..., action: _Optional[_Union[_evaluation_pb2.Decision, str]] = ...) -> None: ...

class BudgetPolicy(_message.Message):
    __slots__ = ("block_below", "warn_below")
    BLOCK_BELOW_FIELD_NUMBER: _ClassVar[int]
    WARN_BELOW_FIELD_NUMBER: _ClassVar[int]
    block_below: float
    warn_below: float
    def __init__(self, block_below: _Optional[float] = ..., warn_below: _Optional[float] = ...) -> None: ...

class SLI(_message.Message):
    __slots__ = ("type", "good_query", "total_query", "threshold_ms")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    GOOD_QUERY_FIELD_NUMBER: _ClassVar[int]
    TOTAL_QUERY_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_MS_FIELD_NUMBER: _ClassVar[int]
    type: str
    good_query: str
    total_query: str
    threshold_ms: float
    def __init__(self, type: _Optional[str] = ..., good_query: _Optional[str] = ..., total_query: _Optional[str] = ..., threshold_ms: _Optional[float] = ...) -> None: ...

class SLOStatus(_message.Message):
    __slots__ = ("last_decision", "last_evaluated_at", "last_error")
    LAST_DECISION_FIELD_NUMBER: _ClassVar[int]
    LAST_EVALUATED_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    last_decision: _evaluation_pb2.Decision
    last_evaluated_at: _timestamp_pb2.Timestamp
    last_error: str
    def __init__(self, last_decision: _Optional[_Union[_evaluation_pb2.Decision, str]] = ..., last_evaluated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_error: _Optional[str] = ...) -> None: ...

class SLO(_message.Message):
    __slots__ = ("id", "name", "service", "environment", "description", "objective", "window", "sli", "burn_rate_rules", "evaluation_interval", "staleness_limit", "min_data_points", "labels", "source_file", "status", "owner", "budget_policy", "dry_run", "load_error", "backend")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    OBJECTIVE_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    SLI_FIELD_NUMBER: _ClassVar[int]
    BURN_RATE_RULES_FIELD_NUMBER: _ClassVar[int]
    EVALUATION_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    STALENESS_LIMIT_FIELD_NUMBER: _ClassVar[int]
    MIN_DATA_POINTS_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FILE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    BUDGET_POLICY_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    LOAD_ERROR_FIELD_NUMBER: _ClassVar[int]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    service: str
    environment: str
    description: str
    objective: float
    window: str
    sli: SLI
    burn_rate_rules: _containers.RepeatedCompositeFieldContainer[BurnRateRule]
    evaluation_interval: str
    staleness_limit: str
    min_data_points: int
    labels: _containers.ScalarMap[str, str]
    source_file: str
    status: SLOStatus
    owner: str
    budget_policy: BudgetPolicy
    dry_run: bool
    load_error: str
    backend: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., service: _Optional[str] = ..., environment: _Optional[str] = ..., description: _Optional[str] = ..., objective: _Optional[float] = ..., window: _Optional[str] = ..., sli: _Optional[_Union[SLI, _Mapping]] = ..., burn_rate_rules: _Optional[_Iterable[_Union[BurnRateRule, _Mapping]]] = ..., evaluation_interval: _Optional[str] = ..., staleness_limit: _Optional[str] = ..., min_data_points: _Optional[int] = ..., labels: _Optional[_Mapping[str, str]] = ..., source_file: _Optional[str] = ..., status: _Optional[_Union[SLOStatus, _Mapping]] = ..., owner: _Optional[str] = ..., budget_policy: _Optional[_Union[BudgetPolicy, _Mapping]] = ..., dry_run: _Optional[bool] = ..., load_error: _Optional[str] = ..., backend: _Optional[str] = ...) -> None: ...

class ListSLOsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListSLOsResponse(_message.Message):
    __slots__ = ("slos",)
    SLOS_FIELD_NUMBER: _ClassVar[int]
    slos: _containers.RepeatedCompositeFieldContainer[SLO]
    def __init__(self, slos: _Optional[_Iterable[_Union[SLO, _Mapping]]] = ...) -> None: ...

class GetSLORequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetSLOResponse(_message.Message):
    __slots__ = ("slo",)
    SLO_FIELD_NUMBER: _ClassVar[int]
    slo: SLO
    def __init__(self, slo: _Optional[_Union[SLO, _Mapping]] = ...) -> None: ...
