import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Decision(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DECISION_UNSPECIFIED: _ClassVar[Decision]
    ALLOW: _ClassVar[Decision]
    WARN: _ClassVar[Decision]
    BLOCK: _ClassVar[Decision]

class AuditRecordKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AUDIT_RECORD_KIND_UNSPECIFIED: _ClassVar[AuditRecordKind]
    AUDIT_RECORD_KIND_EVALUATION: _ClassVar[AuditRecordKind]
    AUDIT_RECORD_KIND_GATE_REQUEST: _ClassVar[AuditRecordKind]
DECISION_UNSPECIFIED: Decision
ALLOW: Decision
WARN: Decision
BLOCK: Decision
AUDIT_RECORD_KIND_UNSPECIFIED: AuditRecordKind
AUDIT_RECORD_KIND_EVALUATION: AuditRecordKind
AUDIT_RECORD_KIND_GATE_REQUEST: AuditRecordKind

class SLISummary(_message.Message):
    __slots__ = ("value", "error_rate", "budget_remaining", "window")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    ERROR_RATE_FIELD_NUMBER: _ClassVar[int]
    BUDGET_REMAINING_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    value: float
    error_rate: float
    budget_remaining: float
    window: str
    def __init__(self, value: _Optional[float] = ..., error_rate: _Optional[float] = ..., budget_remaining: _Optional[float] = ..., window: _Optional[str] = ...) -> None: ...

class WindowBurnRate(_message.Message):
    __slots__ = ("burn_rate", "threshold")
    BURN_RATE_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    burn_rate: float
    threshold: float
    def __init__(self, burn_rate: _Optional[float] = ..., threshold: _Optional[float] = ...) -> None: ...

class RuleResult(_message.Message):
    __slots__ = ("name", "short_window", "long_window", "short_burn_rate", "long_burn_rate", "threshold", "action", "fired", "evaluated")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SHORT_WINDOW_FIELD_NUMBER: _ClassVar[int]
    LONG_WINDOW_FIELD_NUMBER: _ClassVar[int]
    SHORT_BURN_RATE_FIELD_NUMBER: _ClassVar[int]
    LONG_BURN_RATE_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    FIRED_FIELD_NUMBER: _ClassVar[int]
    EVALUATED_FIELD_NUMBER: _ClassVar[int]
    name: str
    short_window: str
    long_window: str
    short_burn_rate: float
    long_burn_rate: float
    threshold: float
    action: Decision
    fired: bool
    evaluated: bool
    def __init__(self, name: _Optional[str] = ..., short_window: _Optional[str] = ..., long_window: _Optional[str] = ..., short_burn_rate: _Optional[float] = ..., long_burn_rate: _Optional[float] = ..., threshold: _Optional[float] = ..., action: _Optional[_Union[Decision, str]] = ..., fired: _Optional[bool] = ..., evaluated: _Optional[bool] = ...) -> None: ...

class BudgetPolicyResult(_message.Message):
    __slots__ = ("block_below", "warn_below", "budget_remaining", "action")
    BLOCK_BELOW_FIELD_NUMBER: _ClassVar[int]
    WARN_BELOW_FIELD_NUMBER: _ClassVar[int]
    BUDGET_REMAINING_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    block_below: float
    warn_below: float
    budget_remaining: float
    action: Decision
    def __init__(self, block_below: _Optional[float] = ..., warn_below: _Optional[float] = ..., budget_remaining: _Optional[float] = ..., action: _Optional[_Union[Decision, str]] = ...) -> None: ...

class Evaluation(_message.Message):
    __slots__ = ("evaluation_id", "slo_id", "service", "environment", "decision", "timestamp", "ttl", "sli", "reasons", "burn_rates", "is_stale", "has_no_traffic", "has_missing_data", "has_too_few_data_points", "has_clamped_data", "rules", "data_timestamp", "id", "budget_policy", "dry_run", "would_be_decision", "gate_request", "record_kind", "chain")
    class BurnRatesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: WindowBurnRate
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[WindowBurnRate, _Mapping]] = ...) -> None: ...
    EVALUATION_ID_FIELD_NUMBER: _ClassVar[int]
    SLO_ID_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    TTL_FIELD_NUMBER: _ClassVar[int]
    SLI_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    BURN_RATES_FIELD_NUMBER: _ClassVar[int]
    IS_STALE_FIELD_NUMBER: _ClassVar[int]
    HAS_NO_TRAFFIC_FIELD_NUMBER: _ClassVar[int]
    HAS_MISSING_DATA_FIELD_NUMBER: _ClassVar[int]
    HAS_TOO_FEW_DATA_POINTS_FIELD_NUMBER: _ClassVar[int]
    HAS_CLAMPED_DATA_FIELD_NUMBER: _ClassVar[int]
    RULES_FIELD_NUMBER: _ClassVar[int]
    DATA_TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    BUDGET_POLICY_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    WOULD_BE_DECISION_FIELD_NUMBER: _ClassVar[int]
    GATE_REQUEST_FIELD_NUMBER: _ClassVar[int]
    RECORD_KIND_FIELD_NUMBER: _ClassVar[int]
    CHAIN_FIELD_NUMBER: _ClassVar[int]
    evaluation_id: str
    slo_id: str
    service: str
    environment: str
    decision: Decision
    timestamp: _timestamp_pb2.Timestamp
    ttl: int
    sli: SLISummary
    reasons: _containers.RepeatedScalarFieldContainer[str]
    burn_rates: _containers.MessageMap[str, WindowBurnRate]
    is_stale: bool
    has_no_traffic: bool
    has_missing_data: bool
    has_too_few_data_points: bool
    has_clamped_data: bool
    rules: _containers.RepeatedCompositeFieldContainer[RuleResult]
    data_timestamp: _timestamp_pb2.Timestamp
    id: str
    budget_policy: BudgetPolicyResult
    dry_run: bool
    would_be_decision: Decision
    gate_request: GateRequestRecord
    record_kind: AuditRecordKind
    chain: AuditChainLink
    def __init__(self, evaluation_id: _Optional[str] = ..., slo_id: _Optional[str] = ..., service: _Optional[str] = ..., environment: _Optional[str] = ..., decision: _Optional[_Union[Decision, str]] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ttl: _Optional[int] = ..., sli: _Optional[_Union[SLISummary, _Mapping]] = ..., reasons: _Optional[_Iterable[str]] = ..., burn_rates: _Optional[_Mapping[str, WindowBurnRate]] = ..., is_stale: _Optional[bool] = ..., has_no_traffic: _Optional[bool] = ..., has_missing_data: _Optional[bool] = ..., has_too_few_data_points: _Optional[bool] = ..., has_clamped_data: _Optional[bool] = ..., rules: _Optional[_Iterable[_Union[RuleResult, _Mapping]]] = ..., data_timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., id: _Optional[str] = ..., budget_policy: _Optional[_Union[BudgetPolicyResult, _Mapping]] = ..., dry_run: _Optional[bool] = ..., would_be_decision: _Optional[_Union[Decision, str]] = ..., gate_request: _Optional[_Union[GateRequestRecord, _Mapping]] = ..., record_kind: _Optional[_Union[AuditRecordKind, str]] = ..., chain: _Optional[_Union[AuditChainLink, _Mapping]] = ...) -> None: ...

class DeploymentContext(_message.Message):
    __slots__ = ("deployment_id", "commit", "pipeline_url", "caller")
    DEPLOYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_URL_FIELD_NUMBER: _ClassVar[int]
    CALLER_FIELD_NUMBER: _ClassVar[int]
    deployment_id: str
    commit: str
    pipeline_url: str
    caller: str
    def __init__(self, deployment_id: _Optional[str] = ..., commit: _Optional[str] = ..., pipeline_url: _Optional[str] = ..., caller: _Optional[str] = ...) -> None: ...

class GateRequestRecord(_message.Message):
    __slots__ = ("deployment_id", "commit", "pipeline_url", "caller", "api_key_name", "requested_at")
    DEPLOYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_URL_FIELD_NUMBER: _ClassVar[int]
    CALLER_FIELD_NUMBER: _ClassVar[int]
    API_KEY_NAME_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_AT_FIELD_NUMBER: _ClassVar[int]
    deployment_id: str
    commit: str
    pipeline_url: str
    caller: str
    api_key_name: str
    requested_at: _timestamp_pb2.Timestamp
    def __init__(self, deployment_id: _Optional[str] = ..., commit: _Optional[str] = ..., pipeline_url: _Optional[str] = ..., caller: _Optional[str] = ..., api_key_name: _Optional[str] = ..., requested_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AuditChainLink(_message.Message):
    __slots__ = ("sequence", "previous_hash", "record_hash")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_HASH_FIELD_NUMBER: _ClassVar[int]
    RECORD_HASH_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    previous_hash: str
    record_hash: str
    def __init__(self, sequence: _Optional[int] = ..., previous_hash: _Optional[str] = ..., record_hash: _Optional[str] = ...) -> None: ...
