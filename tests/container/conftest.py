"""The image, built once per session by replaying the Dockerfile (tests/container/_image.py)."""

from __future__ import annotations

import shutil

import pytest

from tests.container._container import ROOT
from tests.container._image import Builder, Image

# A cold pip cache downloads every dependency; a warm one makes this about half a minute.
BUILD_TIMEOUT = 900


@pytest.fixture(scope="session")
def image(tmp_path_factory: pytest.TempPathFactory) -> Image:
    if shutil.which("python3") is None:
        pytest.fail("python3 must be on PATH: the emulated build stage runs scripts/install.sh with it")
    root = tmp_path_factory.mktemp("image") / "rootfs"
    return Builder(ROOT, ROOT / "Dockerfile", root).build(timeout=BUILD_TIMEOUT)
