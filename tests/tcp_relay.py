"""A TCP relay a test can slow down, cut, like the network path to a host that vanished, and
restore."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from tests.conftest import free_port


class TcpRelay:
    """Relays connections on `port` to a target port on 127.0.0.1.

    `cut()` ends every connection, open or new: reset, or with `silently` kept open but
    swallowing what it is sent and answering nothing (a host gone without a reset, which the
    client must notice itself). `restore()` lets new connections through again; those cut
    stay dead. `refuse_new()` stops listening for good: new connections are refused, open ones
    carry on (the path cut for whoever was not connected yet). `delay` (seconds, settable at
    any time) holds every chunk that long each way.
    """

    def __init__(self, target_port: int) -> None:
        self._target_port = target_port
        self.port = free_port()
        self._generation = 0
        self._cut = False
        self._silently = False
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.delay = 0.0

    def url(self, url: str) -> str:
        """`url` (of the target) with its port replaced by the relay's."""
        return url.replace(f":{self._target_port}/", f":{self.port}/", 1)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)

    def cut(self, *, silently: bool = False) -> None:
        self._generation += 1
        self._cut, self._silently = True, silently
        if not silently:
            for writer in self._writers:
                writer.transport.abort()

    def refuse_new(self) -> None:
        assert self._server is not None
        self._server.close()

    def restore(self) -> None:
        self._generation += 1
        self._cut = False

    async def _relay(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> None:
        if self._cut and not self._silently:
            client_out.transport.abort()
            return
        generation, alive = self._generation, not self._cut
        target_in, target_out = await asyncio.open_connection("127.0.0.1", self._target_port)
        self._writers |= {client_out, target_out}

        async def pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            loop = asyncio.get_running_loop()
            due = 0.0  # when the last delayed chunk goes: later ones keep their order
            with contextlib.suppress(OSError):
                while data := await source.read(65536):
                    if not (alive and self._generation == generation):
                        continue
                    if self.delay <= 0 and due <= loop.time():
                        sink.write(data)
                        await sink.drain()
                    else:
                        due = max(loop.time() + self.delay, due)
                        loop.call_at(due, _write, sink, data)
            loop.call_at(max(due, loop.time()), sink.transport.abort)

        pumps = {asyncio.create_task(pump(client_in, target_out)),
                 asyncio.create_task(pump(target_in, client_out))}  # fmt: skip
        self._tasks |= pumps
        await asyncio.wait(pumps)
        self._writers -= {client_out, target_out}

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for writer in self._writers:
            writer.transport.abort()


def _write(sink: asyncio.StreamWriter, data: bytes) -> None:
    if not sink.transport.is_closing():
        sink.write(data)


@contextlib.asynccontextmanager
async def tcp_relay(target_port: int) -> AsyncIterator[TcpRelay]:
    """A started relay to `target_port`, stopped however the test ends."""
    relay = TcpRelay(target_port)
    await relay.start()
    try:
        yield relay
    finally:
        await relay.stop()
