"""The notifications file as a reloadable source: add, change or drop receivers without a restart.

A webhook or Alertmanager whose settings did not change keeps its sink (its queue, its state).
A changed Alertmanager sink takes over the alerts firing in the one it replaces, so nothing
blocked is forgotten; a removed webhook gets a couple of seconds to deliver what it has queued.
A file that turned bad is refused whole, said once and listed by ``/readyz``. Enabling
notifications at all (no file at start) still takes a restart: the listener is wired at start.
"""

from __future__ import annotations

import logging

from aegis.notify import AlertmanagerSink, Notifier, Sink, WebhookSink
from aegis.notify.config import NotificationsConfig, NotificationsConfigError
from aegis.reload.reloader import ReloadResult
from aegis.spec.files import FileStamp, file_stamp
from aegis.telemetry import Telemetry

# Seconds a removed webhook gets to deliver what it has queued.
_RETIRE_GRACE = 2.0


class NotificationsFile:
    name = "notifications"
    requires: tuple[str, ...] = ()

    def __init__(
        self, path: str, notifier: Notifier, telemetry: Telemetry, *, logger: logging.Logger | None = None
    ) -> None:
        self.path = path
        self._notifier = notifier
        self._telemetry = telemetry
        self._logger = logger or logging.getLogger(__name__)
        self._applied: FileStamp | None = file_stamp(path)
        self.problem: str | None = None

    async def changed(self) -> bool:
        return file_stamp(self.path) != self._applied

    async def reload(self) -> ReloadResult:
        self._applied = file_stamp(self.path)
        try:
            config = NotificationsConfig.load(self.path)
        except NotificationsConfigError as err:
            self._logger.error("notifications not reloaded, the previous receivers stay in force: %s", err)
            self.problem = f"notifications file not reloaded, the previous receivers stay in force: {err}"
            return "failed"
        self.problem = None
        before = self._notifier.sinks
        sinks = self._sinks(config, before)
        retired = self._notifier.replace_sinks(sinks)
        for sink in retired:
            await sink.stop(_RETIRE_GRACE)
        added = [sink.name for sink in sinks if sink not in before]
        if not added and not retired:
            return "unchanged"
        self._logger.info(
            "notifications reloaded from %s: %d receiver(s); new or changed: %s; removed: %s",
            self.path,
            len(sinks),
            ", ".join(added) or "none",
            ", ".join(sink.name for sink in retired) or "none",
        )
        return "changed"

    def _sinks(self, config: NotificationsConfig, before: tuple[Sink, ...]) -> list[Sink]:
        """The sinks for ``config``, reusing each one whose settings are the same."""
        hooks = {s.config: s for s in before if isinstance(s, WebhookSink)}
        sinks: list[Sink] = [
            hooks.get(hook) or WebhookSink(hook, self._telemetry, logger=self._logger)
            for hook in config.webhooks
        ]
        manager = next((s for s in before if isinstance(s, AlertmanagerSink)), None)
        if config.alertmanager is not None:
            if manager is not None and manager.config == config.alertmanager:
                sinks.append(manager)
            else:
                replacement = AlertmanagerSink(config.alertmanager, self._telemetry, logger=self._logger)
                if manager is not None:
                    replacement.take_over(manager)
                sinks.append(replacement)
        return sinks
