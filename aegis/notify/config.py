"""``--notifications-file``: where decision changes go, read once at start.

    webhooks:
      - url: https://hooks.example.com/aegis
        name: chatops                 # metrics and logs; default: the URL's host
        secretFile: /etc/aegis/hook   # sign each body with HMAC-SHA256 (optional)
        timeout: 5s                   # per attempt
        retries: 3                    # attempts after the first
        backoff: 1s                   # first pause between attempts; doubles, at most 1m
        queueSize: 1000               # changes waiting for this receiver before new ones are dropped
    alertmanager:
      urls: [http://alertmanager:9093]
      timeout: 5s
      resendInterval: 1m
      labels: {team: payments}        # added to every alert

Durations are ``30s``/``5m`` strings or plain seconds (``0.5``). Unknown keys are errors, so a
typo never silently turns a receiver off. Every error names the file and the field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from aegis.spec.durations import DurationError, Window

_WEBHOOK_KEYS = {"url", "name", "secretFile", "timeout", "retries", "backoff", "queueSize"}
_ALERTMANAGER_KEYS = {"urls", "timeout", "resendInterval", "labels"}
_LABEL_NAME = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"


class NotificationsConfigError(ValueError):
    """The notifications file cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class WebhookConfig:
    url: str
    name: str
    # The shared secret (bytes of the secret file, surrounding whitespace removed); None: unsigned.
    secret: bytes | None = field(default=None, repr=False)
    timeout: float = 5.0
    retries: int = 3
    backoff: float = 1.0
    queue_size: int = 1000


@dataclass(frozen=True)
class AlertmanagerConfig:
    urls: tuple[str, ...]
    timeout: float = 5.0
    resend_interval: float = 60.0
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NotificationsConfig:
    webhooks: tuple[WebhookConfig, ...] = ()
    alertmanager: AlertmanagerConfig | None = None

    @classmethod
    def load(cls, path: str | Path) -> NotificationsConfig:
        where = str(path)
        try:
            document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except OSError as err:
            raise NotificationsConfigError(f"{where}: cannot read: {err.strerror or err}") from err
        except yaml.YAMLError as err:
            raise NotificationsConfigError(f"{where}: not valid YAML: {_yaml_problem(err)}") from err
        return cls.parse(document, where, base=Path(path).parent)

    @classmethod
    def parse(cls, document: object, where: str, *, base: Path = Path(".")) -> NotificationsConfig:
        if document is None:
            document = {}
        top = _mapping(document, where, "the top level", {"webhooks", "alertmanager"})
        hooks = top.get("webhooks") or []
        if not isinstance(hooks, list):
            raise NotificationsConfigError(f"{where}: webhooks: expected a list, got {_kind(hooks)}")
        webhooks = tuple(_webhook(item, where, f"webhooks[{i}]", base) for i, item in enumerate(hooks))
        names = [hook.name for hook in webhooks]
        for name in names:
            if names.count(name) > 1:
                raise NotificationsConfigError(f"{where}: webhooks: two webhooks are named {name!r}")
        manager = top.get("alertmanager")
        return cls(webhooks, None if manager is None else _alertmanager(manager, where))


def _webhook(item: object, where: str, path: str, base: Path) -> WebhookConfig:
    raw = _mapping(item, where, path, _WEBHOOK_KEYS)
    url = _url(raw.get("url"), where, f"{path}.url")
    name = raw.get("name", urlsplit(url).netloc)
    if not isinstance(name, str) or not name:
        raise NotificationsConfigError(f"{where}: {path}.name: expected a non-empty string")
    return WebhookConfig(
        url=url,
        name=name,
        secret=_secret(raw.get("secretFile"), where, f"{path}.secretFile", base),
        timeout=_seconds(raw.get("timeout", 5.0), where, f"{path}.timeout"),
        retries=_count(raw.get("retries", 3), where, f"{path}.retries", minimum=0),
        backoff=_seconds(raw.get("backoff", 1.0), where, f"{path}.backoff"),
        queue_size=_count(raw.get("queueSize", 1000), where, f"{path}.queueSize", minimum=1),
    )


def _alertmanager(item: object, where: str) -> AlertmanagerConfig:
    raw = _mapping(item, where, "alertmanager", _ALERTMANAGER_KEYS)
    urls = raw.get("urls")
    if not isinstance(urls, list) or not urls:
        raise NotificationsConfigError(f"{where}: alertmanager.urls: expected a non-empty list of URLs")
    labels = raw.get("labels") or {}
    if not isinstance(labels, dict) or not all(
        isinstance(k, str) and k and set(k) <= set(_LABEL_NAME) and isinstance(v, str)
        for k, v in labels.items()
    ):
        raise NotificationsConfigError(
            f"{where}: alertmanager.labels: expected a map of label names ([a-zA-Z0-9_]) to strings"
        )
    return AlertmanagerConfig(
        urls=tuple(_url(u, where, f"alertmanager.urls[{i}]").rstrip("/") for i, u in enumerate(urls)),
        timeout=_seconds(raw.get("timeout", 5.0), where, "alertmanager.timeout"),
        resend_interval=_seconds(raw.get("resendInterval", 60.0), where, "alertmanager.resendInterval"),
        labels=dict(labels),
    )


def _mapping(item: object, where: str, path: str, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise NotificationsConfigError(f"{where}: {path}: expected a map, got {_kind(item)}")
    unknown = sorted(str(k) for k in item if k not in allowed)
    if unknown:
        raise NotificationsConfigError(
            f"{where}: {path}: unknown key {unknown[0]!r}; expected one of {', '.join(sorted(allowed))}"
        )
    return item


def _url(value: object, where: str, path: str) -> str:
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise NotificationsConfigError(f"{where}: {path}: expected an http(s) URL, got {value!r}")
    return str(value)


def _secret(value: object, where: str, path: str, base: Path) -> bytes | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise NotificationsConfigError(f"{where}: {path}: expected a file path")
    file = base / value
    try:
        secret = file.read_bytes().strip()
    except OSError as err:
        raise NotificationsConfigError(f"{where}: {path}: cannot read {file}: {err.strerror or err}") from err
    if not secret:
        raise NotificationsConfigError(f"{where}: {path}: {file} is empty")
    return secret


def _seconds(value: object, where: str, path: str) -> float:
    if isinstance(value, bool):
        value = None
    if isinstance(value, int | float) and math.isfinite(value) and value > 0:
        return float(value)
    if isinstance(value, str):
        try:
            return float(Window.parse(value).seconds)
        except DurationError:
            pass
    raise NotificationsConfigError(
        f"{where}: {path}: expected a positive duration like 5s or 1m (or seconds, e.g. 0.5), got {value!r}"
    )


def _count(value: object, where: str, path: str, *, minimum: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and minimum <= value <= 1_000_000:
        return value
    raise NotificationsConfigError(f"{where}: {path}: expected an integer >= {minimum}, got {value!r}")


def _kind(value: object) -> str:
    return "nothing" if value is None else type(value).__name__


def _yaml_problem(err: yaml.YAMLError) -> str:
    mark = getattr(err, "problem_mark", None)
    problem = getattr(err, "problem", None) or str(err).splitlines()[0]
    return f"line {mark.line + 1}: {problem}" if mark is not None else str(problem)
