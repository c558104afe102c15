"""'Did you mean ...?' for misspelt field names and values.

Cheap checks first (case, ``snake_case`` for ``camelCase``, a known name as a
prefix), then difflib for plain typos such as ``treshold``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

_LONGEST_GUESS = 64


def _normalized(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


def closest_name(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate ``word`` most likely meant, or None when nothing is close.

    >>> closest_name("treshold", ["name", "threshold", "action"])
    'threshold'
    >>> closest_name("min_data_points", ["minDataPoints", "stalenessLimit"])
    'minDataPoints'
    """
    if len(word) > _LONGEST_GUESS:
        return None  # Nobody mistypes a field name as a paragraph.
    options = [c for c in candidates if c != word]
    for option in options:
        if _normalized(option) == _normalized(word):
            return option
    # "latency_threshold" for "latency" and back: one name is the start of the other.
    prefixed = [
        o
        for o in options
        if min(len(o), len(word)) >= 4
        and (_normalized(word).startswith(_normalized(o)) or _normalized(o).startswith(_normalized(word)))
    ]
    if prefixed:
        return max(prefixed, key=len)
    by_normalized = {_normalized(o): o for o in options}
    matches = difflib.get_close_matches(_normalized(word), list(by_normalized), n=1, cutoff=0.75)
    return by_normalized[matches[0]] if matches else None


def did_you_mean(word: object, candidates: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` to append to a message, or ``""``."""
    if not isinstance(word, str):
        return ""
    match = closest_name(word, candidates)
    return f"; did you mean {match!r}?" if match else ""
