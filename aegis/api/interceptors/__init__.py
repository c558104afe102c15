"""Interceptors of the one request pipeline (see aegis.api.pipeline), one idea per module."""

from aegis.api.interceptors.deadline import DeadlineInterceptor
from aegis.api.interceptors.request_id import REQUEST_ID_HEADER, RequestIdInterceptor

__all__ = ["REQUEST_ID_HEADER", "DeadlineInterceptor", "RequestIdInterceptor"]
