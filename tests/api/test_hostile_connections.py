"""REST connections from hostile clients, over raw sockets to the real server (uvicorn + our protocol).

Found by trying (issue 9, item 8): idle connections, half-sent request lines, headers and bodies
were all still open after 75 s; Content-Length with Transfer-Encoding let trailing bytes be served
as a second request; a client leaving mid-body left a traceback.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import LiveServer, default_settings, start_live, stop_live


@pytest.fixture(scope="module")
async def strict(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LiveServer]:
    """Short timeouts, so that a test waits fractions of a second, not the defaults' 10 and 30 s."""
    tmp = tmp_path_factory.mktemp("hostile")
    live = await start_live(default_settings(tmp, http_header_timeout=0.5, http_body_timeout=0.5))
    yield live
    await stop_live(live)


async def _open(live: LiveServer) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", live.server.http_port)


async def _until_closed(reader: asyncio.StreamReader, limit: float = 10.0) -> bytes:
    """Everything the server sends until it closes the connection (fails the test after ``limit``)."""
    async with asyncio.timeout(limit):
        return await reader.read()


async def _send(writer: asyncio.StreamWriter, data: bytes) -> None:
    writer.write(data)
    await writer.drain()


@pytest.mark.parametrize(
    "partial",
    [
        b"",  # connected, said nothing
        b"GET /v1/sl",  # half a request line
        b"GET /v1/slo HTTP/1.1\r\nHost: aegis\r\nX-Slow: ",  # half the headers
    ],
    ids=["idle", "half request line", "half headers"],
)
async def test_rest_connection_without_a_complete_head_is_closed(strict: LiveServer, partial: bytes) -> None:
    reader, writer = await _open(strict)
    await _send(writer, partial)
    answer = await _until_closed(reader)
    writer.close()
    if partial:
        assert answer.startswith(b"HTTP/1.1 408 "), answer
    else:
        assert answer == b"", "an idle connection is closed without a word"


async def test_rest_trickled_headers_do_not_keep_a_connection(strict: LiveServer) -> None:
    """One byte at a time resets no timer: the head as a whole must arrive in time."""
    reader, writer = await _open(strict)
    closed = asyncio.create_task(_until_closed(reader))
    sent = 0
    line = b"GET /v1/slo HTTP/1.1\r\n" + b"X-Pad: " + b"a" * 200
    for byte in line:
        if closed.done():
            break
        try:
            await _send(writer, bytes([byte]))
        except ConnectionError:
            break
        sent += 1
        await asyncio.sleep(0.05)
    answer = await closed
    writer.close()
    assert sent < len(line), "the server kept a trickling connection for the whole header"
    assert answer.startswith(b"HTTP/1.1 408 ")


async def test_rest_half_sent_body_is_closed(strict: LiveServer, caplog: pytest.LogCaptureFixture) -> None:
    reader, writer = await _open(strict)
    with caplog.at_level(logging.INFO):
        await _send(
            writer,
            b"POST /v1/gate/decision HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n{\"sloID\": ",
        )
        answer = await _until_closed(reader)
        await asyncio.sleep(0.1)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


async def test_rest_keep_alive_connection_gets_the_header_timeout_again(strict: LiveServer) -> None:
    reader, writer = await _open(strict)
    await _send(writer, b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
    async with asyncio.timeout(10):
        head = await reader.readuntil(b"\r\n\r\n")
        sizes = [h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")]
        length = int(sizes[0].split(b":")[1])
        await reader.readexactly(length)
    await _send(writer, b"GET /healthz HTTP/1.1\r\nHo")
    answer = await _until_closed(reader)
    writer.close()
    assert head.startswith(b"HTTP/1.1 200 ")
    assert answer.startswith(b"HTTP/1.1 408 ")


async def test_rest_content_length_with_chunked_is_400_and_closed(
    strict: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    """RFC 9112 section 6.3: reject, and close, so trailing bytes are never a second request."""
    caplog.set_level(logging.WARNING)
    reader, writer = await _open(strict)
    smuggled = b"GET /v1/slo HTTP/1.1\r\nHost: a\r\n\r\n"
    await _send(
        writer,
        b"POST /v1/gate/decision HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(5 + len(smuggled)).encode() + b"\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled,
    )
    answer = await _until_closed(reader)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 400 "), answer
    assert answer.count(b"HTTP/1.1 ") == 1, "the trailing bytes were served as a second request"
    assert any("Content-Length and Transfer-Encoding" in r.getMessage() for r in caplog.records)


async def test_rest_client_leaving_mid_body_is_one_quiet_line(
    strict: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        _, writer = await _open(strict)
        await _send(
            writer,
            b"POST /v1/gate/decision HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n{\"sloID\"",
        )
        await asyncio.sleep(0.1)
        writer.close()
        await writer.wait_closed()
        for _ in range(100):
            if any("disconnected while sending" in r.getMessage() for r in caplog.records):
                break
            await asyncio.sleep(0.02)
    lines = [r for r in caplog.records if "disconnected while sending" in r.getMessage()]
    assert len(lines) == 1 and lines[0].levelno == logging.INFO
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


async def test_rest_connections_past_the_cap_get_503_and_one_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    live = await start_live(default_settings(tmp_path, max_connections=3))
    held: list[asyncio.StreamWriter] = []
    try:
        await live.rest.aclose()  # its keep-alive connection would count against the cap
        with caplog.at_level(logging.WARNING, logger="aegis"):
            for _ in range(3):
                _, writer = await _open(live)
                held.append(writer)
            await asyncio.sleep(0.1)
            refused = []
            for _ in range(5):
                reader, writer = await _open(live)
                refused.append(await _until_closed(reader))
                writer.close()
            for writer in held:
                writer.close()
            await asyncio.sleep(0.2)
            reader, writer = await _open(live)
            await _send(writer, b"GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            again = await _until_closed(reader)
            writer.close()
    finally:
        await live.channel.close()
        await live.server.stop(grace=0.5)
    assert all(answer.startswith(b"HTTP/1.1 503 ") for answer in refused), refused
    assert again.startswith(b"HTTP/1.1 200 ")
    notices = [r for r in caplog.records if "--max-connections" in r.getMessage()]
    assert len(notices) == 1, [r.getMessage() for r in notices]
