"""A small asyncio TCP proxy on loopback, to put network faults between a client and a server.

Modes, switched at any time:

- ``forward`` (default): bytes flow both ways;
- ``cut()``: every open connection is reset (RST) at once; new ones are forwarded;
- ``blackhole()``: every open and new connection stays open but bytes are silently
  dropped both ways (a dead peer without RST: only heartbeats can detect it);
- ``down()``: like ``cut()``, and new connections are reset as soon as they arrive
  (a stopped server);
- ``resume()``: back to ``forward``; blackholed connections are reset (their byte streams
  have holes, no protocol can continue on them), so clients reconnect.

Example::

    proxy = TcpProxy("127.0.0.1", 5672)
    await proxy.start()
    url = f"amqp://guest:guest@127.0.0.1:{proxy.port}/vhost"
    proxy.blackhole(); ...; proxy.resume()
    await proxy.close()
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct

FORWARD, BLACKHOLE, DOWN = "forward", "blackhole", "down"


class _Link:
    """One client connection and its upstream twin."""

    def __init__(self, client: asyncio.StreamWriter) -> None:
        self.client = client
        self.upstream: asyncio.StreamWriter | None = None
        self.blackholed = False
        self.tasks: list[asyncio.Task[None]] = []

    def reset(self) -> None:
        for writer in (self.client, self.upstream):
            if writer is not None:
                _abort(writer)
        for task in self.tasks:
            task.cancel()


def _abort(writer: asyncio.StreamWriter) -> None:
    """Close with RST (SO_LINGER 0) rather than FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class TcpProxy:
    """Forward ``127.0.0.1:<port>`` to ``host:port``, with faults on demand."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.mode = FORWARD
        self.port = 0
        self.accepted = 0
        self._links: set[_Link] = set()
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        """Listen on a free loopback port; returns it."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    def cut(self) -> None:
        """Reset every open connection now."""
        for link in list(self._links):
            link.reset()
        self._links.clear()

    def blackhole(self) -> None:
        """Drop all bytes on open and new connections, without closing anything."""
        self.mode = BLACKHOLE
        for link in self._links:
            link.blackholed = True

    def down(self) -> None:
        """Reset everything and refuse new connections (a stopped server)."""
        self.mode = DOWN
        self.cut()

    def resume(self) -> None:
        """Forward again; blackholed connections are reset so clients reconnect."""
        self.mode = FORWARD
        for link in [lk for lk in self._links if lk.blackholed]:
            link.reset()
            self._links.discard(link)

    async def close(self) -> None:
        """Stop listening and reset every connection."""
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        if self.mode == DOWN:
            _abort(writer)
            return
        link = _Link(writer)
        link.blackholed = self.mode == BLACKHOLE
        self._links.add(link)
        try:
            if not link.blackholed:
                up_reader, link.upstream = await asyncio.open_connection(*self.upstream)
                link.tasks.append(asyncio.create_task(self._pump(link, up_reader, writer)))
            link.tasks.append(asyncio.create_task(self._pump(link, reader, link.upstream)))
            await asyncio.gather(*link.tasks, return_exceptions=True)
        except OSError:
            link.reset()
        finally:
            self._links.discard(link)
            link.reset()

    async def _pump(
        self,
        link: _Link,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter | None,
    ) -> None:
        while True:
            try:
                data = await reader.read(65536)
            except OSError:
                data = b""
            if not data:
                if not link.blackholed:  # a blackhole hides the other side's close too
                    link.reset()
                return
            if link.blackholed or writer is None:
                continue
            writer.write(data)
            with contextlib.suppress(OSError):
                await writer.drain()
