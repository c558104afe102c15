"""Fixtures for the spec tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

WriteYaml = Callable[..., Path]


@pytest.fixture
def write_yaml(tmp_path: Path) -> WriteYaml:
    """Write documents (dumped as YAML, one per ``---``) or raw ``text`` to ``tmp_path/name``."""

    def write(name: str, *documents: Any, text: str | None = None) -> Path:
        path = tmp_path / name
        if text is None:
            text = yaml.safe_dump_all(documents, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path

    return write
