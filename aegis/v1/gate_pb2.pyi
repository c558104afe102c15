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

class DecideRequest(_message.Message):
    __slots__ = ("slo_id", "force_fresh", "dry_run", "deployment")
    SLO_ID_FIELD_NUMBER: _ClassVar[int]
    FORCE_FRESH_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    slo_id: str
    force_fresh: bool
    dry_run: bool
    deployment: _evaluation_pb2.DeploymentContext
    def __init__(self, slo_id: _Optional[str] = ..., force_fresh: _Optional[bool] = ..., dry_run: _Optional[bool] = ..., deployment: _Optional[_Union[_evaluation_pb2.DeploymentContext, _Mapping]] = ...) -> None: ...

class DecideResponse(_message.Message):
    __slots__ = ("evaluation",)
    EVALUATION_FIELD_NUMBER: _ClassVar[int]
    evaluation: _evaluation_pb2.Evaluation
    def __init__(self, evaluation: _Optional[_Union[_evaluation_pb2.Evaluation, _Mapping]] = ...) -> None: ...

class GetServiceStateRequest(_message.Message):
    __slots__ = ("service", "environment")
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    service: str
    environment: str
    def __init__(self, service: _Optional[str] = ..., environment: _Optional[str] = ...) -> None: ...

class GetServiceStateResponse(_message.Message):
    __slots__ = ("service", "environment", "decision", "reasons", "evaluations", "timestamp", "slos", "decisions", "last_updated")
    class DecisionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _evaluation_pb2.Decision
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_evaluation_pb2.Decision, str]] = ...) -> None: ...
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    EVALUATIONS_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    SLOS_FIELD_NUMBER: _ClassVar[int]
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    LAST_UPDATED_FIELD_NUMBER: _ClassVar[int]
    service: str
    environment: str
    decision: _evaluation_pb2.Decision
    reasons: _containers.RepeatedScalarFieldContainer[str]
    evaluations: _containers.RepeatedCompositeFieldContainer[_evaluation_pb2.Evaluation]
    timestamp: _timestamp_pb2.Timestamp
    slos: _containers.RepeatedScalarFieldContainer[str]
    decisions: _containers.ScalarMap[str, _evaluation_pb2.Decision]
    last_updated: _timestamp_pb2.Timestamp
    def __init__(self, service: _Optional[str] = ..., environment: _Optional[str] = ..., decision: _Optional[_Union[_evaluation_pb2.Decision, str]] = ..., reasons: _Optional[_Iterable[str]] = ..., evaluations: _Optional[_Iterable[_Union[_evaluation_pb2.Evaluation, _Mapping]]] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., slos: _Optional[_Iterable[str]] = ..., decisions: _Optional[_Mapping[str, _evaluation_pb2.Decision]] = ..., last_updated: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class FlaggerWebhookRequest(_message.Message):
    __slots__ = ("name", "namespace", "phase", "checksum", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    CHECKSUM_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    name: str
    namespace: str
    phase: str
    checksum: str
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, name: _Optional[str] = ..., namespace: _Optional[str] = ..., phase: _Optional[str] = ..., checksum: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class FlaggerWebhookResponse(_message.Message):
    __slots__ = ("decision", "reasons", "evaluations")
    DECISION_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    EVALUATIONS_FIELD_NUMBER: _ClassVar[int]
    decision: _evaluation_pb2.Decision
    reasons: _containers.RepeatedScalarFieldContainer[str]
    evaluations: _containers.RepeatedCompositeFieldContainer[_evaluation_pb2.Evaluation]
    def __init__(self, decision: _Optional[_Union[_evaluation_pb2.Decision, str]] = ..., reasons: _Optional[_Iterable[str]] = ..., evaluations: _Optional[_Iterable[_Union[_evaluation_pb2.Evaluation, _Mapping]]] = ...) -> None: ...
