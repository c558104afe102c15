"""Telling people when a gate's decision changes: webhooks and Alertmanager.

``Notifier`` (an evaluation listener) spots changes; each sink (``WebhookSink``,
``AlertmanagerSink``) delivers them on its own task; ``NotificationsConfig`` reads
``--notifications-file``; ``build_notifier`` wires them from that config.
"""

from __future__ import annotations

import logging

from aegis.notify.alertmanager import AlertmanagerSink
from aegis.notify.change import DecisionChange
from aegis.notify.config import NotificationsConfig, NotificationsConfigError
from aegis.notify.notifier import Notifier, Sink
from aegis.notify.webhook import WebhookSink
from aegis.telemetry import Telemetry

__all__ = [
    "AlertmanagerSink",
    "DecisionChange",
    "NotificationsConfig",
    "NotificationsConfigError",
    "Notifier",
    "Sink",
    "WebhookSink",
    "build_notifier",
]


def build_notifier(config: NotificationsConfig, telemetry: Telemetry, logger: logging.Logger) -> Notifier:
    sinks: list[Sink] = [WebhookSink(hook, telemetry, logger=logger) for hook in config.webhooks]
    if config.alertmanager is not None:
        sinks.append(AlertmanagerSink(config.alertmanager, telemetry, logger=logger))
    return Notifier(sinks, logger=logger)
