"""A real headless Chromium (Debian's ``chromium`` package) driven by Playwright, and PNG checks.

Playwright's Python package drives the system's browser (``executable_path``); nothing downloads
a browser of its own. The flags keep Chromium off the network this machine does not have
(docs of the machine kind: background networking, component updates and sync would each try).

Pictures are checked by decoding them: size, not blank, and the colour of a given region.
Set ``AEGIS_DOCS_IMG=docs/img`` to also write the pictures the docs show (README, docs/replay.md,
docs/status-page.md) from the very test that checks them.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from tests._requirements import missing, require_binary

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    """A Playwright ``Browser`` on /usr/bin/chromium, closed afterwards."""
    executable = require_binary("chromium", "/usr/bin/chromium")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        missing("the playwright package is not installed (make install installs it)")
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=executable, args=list(CHROMIUM_FLAGS))
        try:
            yield browser
        finally:
            await browser.close()


async def rasterize_svg(browser: Any, svg: str) -> bytes:
    """The SVG as Chromium draws it, as PNG bytes of exactly the picture's box."""
    page = await browser.new_page(viewport={"width": 1200, "height": 1000})
    try:
        await page.set_content(f"<!doctype html><html><body style='margin:0'>{svg}</body></html>")
        png: bytes = await page.locator("svg").first.screenshot()
        return png
    finally:
        await page.close()


def decode_png(data: bytes) -> Any:
    """A Pillow image in RGB."""
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.format == "PNG"
    return image.convert("RGB")


def assert_not_blank(image: Any, *, colours: int = 8) -> None:
    """More than a few distinct colours, and not all of it one of them."""
    histogram = image.getcolors(maxcolors=1 << 20) or []
    assert len(histogram) >= colours, f"only {len(histogram)} colours: blank?"
    most = max(count for count, _ in histogram)
    assert most < image.width * image.height * 0.98, "almost all one colour: blank?"


def hex_rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def close_colour(found: tuple[int, ...], wanted: tuple[int, int, int], tolerance: int = 12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(found[:3], wanted, strict=True))


def save_for_docs(name: str, png: bytes) -> None:
    """Write ``png`` as docs/img/NAME when AEGIS_DOCS_IMG names that directory."""
    target = os.environ.get("AEGIS_DOCS_IMG")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        (Path(target) / name).write_bytes(png)
