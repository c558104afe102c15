"""`.dockerignore` as Docker reads it, so the emulated build sees the same context as a real one.

Docker's rules (moby's patternmatcher): patterns are paths relative to the context root, ``*`` and
``?`` stay within one path segment, ``**`` spans any number of them, a leading ``!`` re-includes,
the last matching pattern wins, and a pattern that matches a directory matches all beneath it.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path


def _translate(pattern: str) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = pattern.index("]", i + 1)
            out.append(pattern[i : end + 1].replace("[!", "[^"))
            i = end + 1
            continue
        elif char == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out))


class DockerIgnore:
    """Which context paths ``docker build`` leaves out."""

    def __init__(self, lines: list[str]) -> None:
        self._rules: list[tuple[bool, re.Pattern[str]]] = []
        for line in lines:
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            negated = text.startswith("!")
            cleaned = posixpath.normpath(text.removeprefix("!").strip()).lstrip("/")
            self._rules.append((negated, _translate(cleaned)))

    @classmethod
    def of_context(cls, context: Path) -> DockerIgnore:
        path = context / ".dockerignore"
        return cls(path.read_text().splitlines() if path.exists() else [])

    def excluded(self, relative: str) -> bool:
        parts = relative.split("/")
        prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
        result = False
        for negated, rule in self._rules:
            if any(rule.fullmatch(prefix) for prefix in prefixes):
                result = not negated
        return result
