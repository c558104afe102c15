"""API keys: the keys file, and telling which key (if any) a presented secret is.

The file holds a name, the SHA-256 of the secret and the scopes of each key, never a secret::

    keys:
      - name: ci-pipeline
        sha256: 2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b
        scopes: [gate, read]

A presented secret is hashed and compared with every stored digest by ``hmac.compare_digest``,
without stopping at the first match, so neither the bytes of a digest nor which key matched can be
read from response times. Nothing here logs or echoes a secret, or a value found where a digest
should be (someone may have pasted the secret there).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from aegis.auth.scopes import SCOPES

__all__ = ["ApiKey", "KeyFileError", "Keyring", "Principal", "digest_of", "load_keys"]

_DIGEST = re.compile(r"[0-9a-fA-F]{64}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
_FIELDS = ("name", "sha256", "scopes")


class KeyFileError(ValueError):
    """A keys file that cannot be used; the message names the file and the field, never a value."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's name and its scopes. On ``context.attributes["principal"]``."""

    name: str
    scopes: frozenset[str]


@dataclass(frozen=True)
class ApiKey:
    name: str
    digest: bytes  # SHA-256 of the secret
    scopes: frozenset[str]


def digest_of(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8")).digest()


class Keyring:
    """The keys in force; ``replace`` swaps them whole (a reload), never half."""

    def __init__(self, keys: Sequence[ApiKey], source: str = "") -> None:
        self._keys = tuple(keys)
        self.source = source

    def __len__(self) -> int:
        return len(self._keys)

    def replace(self, keys: Sequence[ApiKey]) -> None:
        self._keys = tuple(keys)

    def in_force(self) -> frozenset[ApiKey]:
        """The keys as a set, to tell whether a reload changed anything."""
        return frozenset(self._keys)

    def authenticate(self, secret: str) -> Principal | None:
        """The principal whose key ``secret`` is, or None; constant time in the stored digests."""
        presented = digest_of(secret)
        found: ApiKey | None = None
        for key in self._keys:  # no early exit: every digest is compared
            if hmac.compare_digest(presented, key.digest) and found is None:
                found = key
        return None if found is None else Principal(found.name, found.scopes)


def load_keys(path: str | Path) -> list[ApiKey]:
    """The keys of a keys file; KeyFileError says which file, which key and which field is wrong."""
    where = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise KeyFileError(f"{where}: cannot read the API keys file: {err}") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        at = f" (line {mark.line + 1})" if mark is not None else ""
        raise KeyFileError(f"{where}: not valid YAML{at}") from None
    if not isinstance(document, dict) or set(document) != {"keys"} or not isinstance(document["keys"], list):
        raise KeyFileError(f"{where}: expected a mapping with one field, keys: a list of API keys")
    if not document["keys"]:
        raise KeyFileError(f"{where}: keys is empty; list at least one key, or leave --api-keys-file out")
    keys = [_key(f"{where}: keys[{index}]", entry) for index, entry in enumerate(document["keys"])]
    _check_unique(where, keys)
    return keys


def _key(where: str, entry: Any) -> ApiKey:
    if not isinstance(entry, dict):
        raise KeyFileError(f"{where}: expected a mapping with name, sha256 and scopes")
    unknown = sorted(str(field) for field in entry if field not in _FIELDS)
    if unknown:
        raise KeyFileError(
            f"{where}: unknown field {unknown[0][:40]!r}; a key has name, sha256 and scopes "
            "(store the SHA-256 of a secret, never the secret)"
        )
    name = entry.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise KeyFileError(
            f"{where}.name: expected 1 to 64 letters, digits or . _ @ -, starting with a letter or digit"
        )
    digest = entry.get("sha256")
    if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
        # Never echo the value: it may be a secret pasted in the wrong place.
        raise KeyFileError(
            f"{where}.sha256 (key {name!r}): expected 64 hexadecimal characters, the SHA-256 of the "
            "secret (printf %s \"$SECRET\" | sha256sum)"
        )
    scopes = entry.get("scopes")
    if not isinstance(scopes, list) or not scopes or not all(isinstance(s, str) for s in scopes):
        raise KeyFileError(
            f"{where}.scopes (key {name!r}): expected a non-empty list among {', '.join(SCOPES)}"
        )
    wrong = [scope for scope in scopes if scope not in SCOPES]
    if wrong:
        raise KeyFileError(
            f"{where}.scopes (key {name!r}): unknown scope {wrong[0][:40]!r}; expected {', '.join(SCOPES)}"
        )
    return ApiKey(name, bytes.fromhex(digest), frozenset(scopes))


def _check_unique(where: str, keys: Sequence[ApiKey]) -> None:
    names: set[str] = set()
    digests: dict[bytes, str] = {}
    for key in keys:
        if key.name in names:
            raise KeyFileError(f"{where}: two keys are named {key.name!r}")
        names.add(key.name)
        if key.digest in digests:
            raise KeyFileError(f"{where}: keys {digests[key.digest]!r} and {key.name!r} have the same sha256")
        digests[key.digest] = key.name
