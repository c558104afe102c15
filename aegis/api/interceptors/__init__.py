"""Interceptors of the one request pipeline (see aegis.api.pipeline), one idea per module."""

from aegis.api.interceptors.access_log import AccessLogInterceptor
from aegis.api.interceptors.auth import AuthInterceptor
from aegis.api.interceptors.deadline import DeadlineInterceptor
from aegis.api.interceptors.drain import DrainInterceptor
from aegis.api.interceptors.metrics import MetricsInterceptor
from aegis.api.interceptors.request_id import REQUEST_ID_HEADER, RequestIdInterceptor

__all__ = [
    "REQUEST_ID_HEADER",
    "AccessLogInterceptor",
    "AuthInterceptor",
    "DeadlineInterceptor",
    "DrainInterceptor",
    "MetricsInterceptor",
    "RequestIdInterceptor",
]
