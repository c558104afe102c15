"""The API keys file as a reloadable source: rotate keys without a restart.

A file that turned bad (invalid YAML, a malformed digest, half written) is refused whole: the keys
in force stay, the error is logged once and listed by ``/readyz``. Never a secret in a message.
"""

from __future__ import annotations

import logging

from aegis.auth import KeyFileError, Keyring, load_keys
from aegis.reload.reloader import ReloadResult
from aegis.spec.files import FileStamp, file_stamp


class KeysFile:
    name = "api_keys"
    requires: tuple[str, ...] = ()

    def __init__(self, keyring: Keyring, *, logger: logging.Logger | None = None) -> None:
        self.keyring = keyring
        self._logger = logger or logging.getLogger(__name__)
        self._applied: FileStamp | None = file_stamp(keyring.source)
        self.problem: str | None = None

    async def changed(self) -> bool:
        return file_stamp(self.keyring.source) != self._applied

    async def reload(self) -> ReloadResult:
        return self.reload_now()

    def reload_now(self) -> ReloadResult:
        """Read the file again, synchronously (it is a few lines)."""
        self._applied = file_stamp(self.keyring.source)
        try:
            keys = load_keys(self.keyring.source)
        except KeyFileError as err:
            self._logger.error("API keys not reloaded, the previous ones stay in force: %s", err)
            self.problem = f"API keys file not reloaded, the previous keys stay in force: {err}"
            return "failed"
        self.problem = None
        before = self.keyring.in_force()
        self.keyring.replace(keys)
        self._logger.info("reloaded %d API key(s) from %s", len(keys), self.keyring.source)
        return "unchanged" if self.keyring.in_force() == before else "changed"
