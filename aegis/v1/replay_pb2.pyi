import datetime

from aegis.v1 import auth_pb2 as _auth_pb2
from aegis.v1 import evaluation_pb2 as _evaluation_pb2
from aegis.v1 import slo_pb2 as _slo_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ReplayRequest(_message.Message):
    __slots__ = ("slo_id", "start_time", "end_time", "step", "overrides", "include_picture")
    SLO_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    OVERRIDES_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_PICTURE_FIELD_NUMBER: _ClassVar[int]
    slo_id: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    step: str
    overrides: _containers.RepeatedScalarFieldContainer[str]
    include_picture: bool
    def __init__(self, slo_id: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., step: _Optional[str] = ..., overrides: _Optional[_Iterable[str]] = ..., include_picture: _Optional[bool] = ...) -> None: ...

class ReplayStep(_message.Message):
    __slots__ = ("timestamp", "decision", "error_ratio", "burn_rates", "budget_remaining", "fired_rules")
    class BurnRatesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    ERROR_RATIO_FIELD_NUMBER: _ClassVar[int]
    BURN_RATES_FIELD_NUMBER: _ClassVar[int]
    BUDGET_REMAINING_FIELD_NUMBER: _ClassVar[int]
    FIRED_RULES_FIELD_NUMBER: _ClassVar[int]
    timestamp: _timestamp_pb2.Timestamp
    decision: _evaluation_pb2.Decision
    error_ratio: float
    burn_rates: _containers.ScalarMap[str, float]
    budget_remaining: float
    fired_rules: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., decision: _Optional[_Union[_evaluation_pb2.Decision, str]] = ..., error_ratio: _Optional[float] = ..., burn_rates: _Optional[_Mapping[str, float]] = ..., budget_remaining: _Optional[float] = ..., fired_rules: _Optional[_Iterable[str]] = ...) -> None: ...

class ReplayTransition(_message.Message):
    __slots__ = ("timestamp", "previous_decision", "decision", "reasons")
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_DECISION_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    timestamp: _timestamp_pb2.Timestamp
    previous_decision: _evaluation_pb2.Decision
    decision: _evaluation_pb2.Decision
    reasons: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., previous_decision: _Optional[_Union[_evaluation_pb2.Decision, str]] = ..., decision: _Optional[_Union[_evaluation_pb2.Decision, str]] = ..., reasons: _Optional[_Iterable[str]] = ...) -> None: ...

class ReplayBurn(_message.Message):
    __slots__ = ("start_time", "end_time", "detected_time", "reset_time", "detection_seconds", "reset_seconds", "peak_burn_rate", "worst_decision")
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    DETECTED_TIME_FIELD_NUMBER: _ClassVar[int]
    RESET_TIME_FIELD_NUMBER: _ClassVar[int]
    DETECTION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    RESET_SECONDS_FIELD_NUMBER: _ClassVar[int]
    PEAK_BURN_RATE_FIELD_NUMBER: _ClassVar[int]
    WORST_DECISION_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    detected_time: _timestamp_pb2.Timestamp
    reset_time: _timestamp_pb2.Timestamp
    detection_seconds: float
    reset_seconds: float
    peak_burn_rate: float
    worst_decision: _evaluation_pb2.Decision
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., detected_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reset_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., detection_seconds: _Optional[float] = ..., reset_seconds: _Optional[float] = ..., peak_burn_rate: _Optional[float] = ..., worst_decision: _Optional[_Union[_evaluation_pb2.Decision, str]] = ...) -> None: ...

class ReplayResponse(_message.Message):
    __slots__ = ("slo", "start_time", "end_time", "step", "error_ratio_window", "steps", "transitions", "burns", "minutes_allowed", "minutes_warned", "minutes_blocked", "overrides", "picture_svg")
    SLO_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    ERROR_RATIO_WINDOW_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    TRANSITIONS_FIELD_NUMBER: _ClassVar[int]
    BURNS_FIELD_NUMBER: _ClassVar[int]
    MINUTES_ALLOWED_FIELD_NUMBER: _ClassVar[int]
    MINUTES_WARNED_FIELD_NUMBER: _ClassVar[int]
    MINUTES_BLOCKED_FIELD_NUMBER: _ClassVar[int]
    OVERRIDES_FIELD_NUMBER: _ClassVar[int]
    PICTURE_SVG_FIELD_NUMBER: _ClassVar[int]
    slo: _slo_pb2.SLO
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    step: str
    error_ratio_window: str
    steps: _containers.RepeatedCompositeFieldContainer[ReplayStep]
    transitions: _containers.RepeatedCompositeFieldContainer[ReplayTransition]
    burns: _containers.RepeatedCompositeFieldContainer[ReplayBurn]
    minutes_allowed: float
    minutes_warned: float
    minutes_blocked: float
    overrides: _containers.RepeatedScalarFieldContainer[str]
    picture_svg: str
    def __init__(self, slo: _Optional[_Union[_slo_pb2.SLO, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., step: _Optional[str] = ..., error_ratio_window: _Optional[str] = ..., steps: _Optional[_Iterable[_Union[ReplayStep, _Mapping]]] = ..., transitions: _Optional[_Iterable[_Union[ReplayTransition, _Mapping]]] = ..., burns: _Optional[_Iterable[_Union[ReplayBurn, _Mapping]]] = ..., minutes_allowed: _Optional[float] = ..., minutes_warned: _Optional[float] = ..., minutes_blocked: _Optional[float] = ..., overrides: _Optional[_Iterable[str]] = ..., picture_svg: _Optional[str] = ...) -> None: ...
