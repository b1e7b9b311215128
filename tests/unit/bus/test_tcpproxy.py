"""The fault-injecting TCP proxy used by the bus fault tests (loopback only)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from support.tcpproxy import TcpProxy


@pytest.fixture
async def echo() -> AsyncIterator[int]:
    """A loopback echo server; yields its port."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(1024):
            writer.write(data)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()


@pytest.fixture
async def proxy(echo: int) -> AsyncIterator[TcpProxy]:
    p = TcpProxy("127.0.0.1", echo)
    await p.start()
    yield p
    await p.close()


async def roundtrip(port: int, data: bytes = b"ping", timeout: float = 1.0) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        return await asyncio.wait_for(reader.read(1024), timeout)
    finally:
        writer.close()


async def test_forwards_both_ways(proxy: TcpProxy) -> None:
    """Bytes sent through the proxy come back from the echo server."""
    assert await roundtrip(proxy.port) == b"ping"


async def test_cut_resets_open_connections(proxy: TcpProxy) -> None:
    """cut() resets a live connection; a new one works at once."""
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    writer.write(b"a")
    assert await reader.read(10) == b"a"
    proxy.cut()
    with pytest.raises((ConnectionResetError, asyncio.IncompleteReadError)):
        data = await asyncio.wait_for(reader.read(10), 1)
        if not data:
            raise asyncio.IncompleteReadError(b"", 1)
    writer.close()
    assert await roundtrip(proxy.port) == b"ping"


async def test_blackhole_drops_silently_then_resume(proxy: TcpProxy) -> None:
    """A blackholed connection stays open but nothing comes back; resume restores service."""
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    proxy.blackhole()
    writer.write(b"lost")
    await writer.drain()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(reader.read(10), 0.3)
    with pytest.raises(TimeoutError):
        await roundtrip(proxy.port, timeout=0.3)
    proxy.resume()
    writer.close()
    assert await roundtrip(proxy.port) == b"ping"


async def test_down_refuses_until_resume(proxy: TcpProxy) -> None:
    """down() resets every new connection; resume() accepts again."""
    proxy.down()
    with pytest.raises((ConnectionResetError, asyncio.IncompleteReadError, TimeoutError)):
        data = await roundtrip(proxy.port, timeout=0.5)
        if not data:
            raise asyncio.IncompleteReadError(b"", 1)
    proxy.resume()
    assert await roundtrip(proxy.port) == b"ping"
