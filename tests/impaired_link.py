"""A bad network in user space (the kernel here has no netem): a UDP proxy in front of a TURN
server that delays, drops, rate-limits, cuts and re-binds what crosses it.

Browsers forced through TURN (`iceTransportPolicy: "relay"`) reach coturn only through the proxy,
so every media packet crosses it twice (sender → relay → receiver): 75 ms of delay per crossing
gives a 300 ms round trip, 2.5 % loss per crossing about 5 % end to end. Each client address gets
its own upstream socket; `rebind()` replaces them all, as a NAT that maps the client to a new port
does: coturn then no longer knows the client, and only an ICE restart brings its media back.

It runs its own event loop in a thread, so that synchronous tests (Playwright's sync API) can
change the network while the browsers use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, replace
from typing import Any, TypeVar, cast

from tests.conftest import free_port

T = TypeVar("T")
Address = tuple[str, int]
Send = Callable[[bytes, Address], None]


@dataclass(frozen=True, slots=True)
class Impairment:
    """What each crossing of the proxy suffers, in each direction."""

    delay: float = 0.0
    """Seconds added to every datagram."""
    loss: float = 0.0
    """Share of datagrams dropped at random."""
    rate: float | None = None
    """Bits per second each direction of each client carries; beyond it datagrams queue."""
    queue: float = 0.2
    """Seconds of queue at `rate`; a datagram that would wait longer is dropped (tail drop)."""
    cut: bool = False
    """Drop everything (a path cut)."""
    downlink_only: bool = False
    """Impair only what goes to the clients (their downlink), not what they send."""


GOOD = Impairment()


class _Lane:
    """One direction of one client's traffic: a rate-limited queue, then the delay."""

    def __init__(self, *, downlink: bool) -> None:
        self.downlink = downlink
        self.busy_until = 0.0

    def departure(self, size: int, now: float, impairment: Impairment) -> float | None:
        """When a datagram of `size` bytes leaves, or None when it is dropped."""
        if impairment.downlink_only and not self.downlink:
            return now
        if impairment.cut or random.random() < impairment.loss:
            return None
        if impairment.rate is None:
            return now + impairment.delay
        start = max(now, self.busy_until)
        if start - now > impairment.queue:
            return None
        self.busy_until = start + size * 8 / impairment.rate
        return self.busy_until + impairment.delay


class _Upstream(asyncio.DatagramProtocol):
    """The proxy's socket towards the TURN server for one client address."""

    def __init__(self, proxy: ImpairedLink, client: Address) -> None:
        self.proxy = proxy
        self.client = client
        self.transport: asyncio.DatagramTransport | None = None
        self.up, self.down = _Lane(downlink=False), _Lane(downlink=True)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast("asyncio.DatagramTransport", transport)

    def datagram_received(self, data: bytes, _: Address) -> None:
        self.proxy.forward(self.down, data, self.proxy.to_client, self.client)


class _Listener(asyncio.DatagramProtocol):
    def __init__(self, proxy: ImpairedLink) -> None:
        self.proxy = proxy

    def datagram_received(self, data: bytes, client: Address) -> None:
        self.proxy.from_client(data, client)


class ImpairedLink:
    """The proxy: clients send to `port`; it forwards to `target_port` on 127.0.0.1."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.impairment = GOOD
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._listener: asyncio.DatagramTransport | None = None
        self._upstreams: dict[Address, _Upstream] = {}
        self._pending: dict[Address, list[bytes]] = {}

    # Called from the test's thread

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(5)

    def stop(self) -> None:
        def close() -> None:
            for upstream in self._upstreams.values():
                if upstream.transport is not None:
                    upstream.transport.close()
            if self._listener is not None:
                self._listener.close()
            self._loop.stop()

        self._loop.call_soon_threadsafe(close)
        self._thread.join(5)
        self._loop.close()

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run `work` on the proxy's loop (another proxy, say) and wait for its result."""
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(10)

    def call(self, work: Callable[[], object]) -> None:
        """Call `work` on the proxy's loop (what touches its transports, such as a relay's cut)."""

        async def call() -> None:
            work()

        self.run(call())

    def set(self, **changes: object) -> None:
        """Change the impairment from now on (fields of `Impairment`)."""
        self.impairment = replace(self.impairment, **changes)  # type: ignore[arg-type]

    def clear(self) -> None:
        self.impairment = GOOD

    def rebind(self) -> None:
        """Every client's traffic leaves from a new port from now on (a NAT rebinding)."""

        def rebind() -> None:
            for upstream in self._upstreams.values():
                if upstream.transport is not None:
                    upstream.transport.close()
            self._upstreams.clear()

        self._loop.call_soon_threadsafe(rebind)

    # On the proxy's loop

    async def _listen(self) -> None:
        self._listener, _ = await self._loop.create_datagram_endpoint(
            lambda: _Listener(self), local_addr=("127.0.0.1", self.port)
        )

    def to_client(self, data: bytes, client: Address) -> None:
        if self._listener is not None and not self._listener.is_closing():
            self._listener.sendto(data, client)

    def from_client(self, data: bytes, client: Address) -> None:
        upstream = self._upstreams.get(client)
        if upstream is None:
            upstream = self._upstreams[client] = _Upstream(self, client)
            self._pending[client] = [data]
            self._loop.create_task(self._open(upstream))
            return
        if upstream.transport is None:
            self._pending.setdefault(client, []).append(data)
            return
        self.forward(upstream.up, data, self._to_server, client)

    async def _open(self, upstream: _Upstream) -> None:
        await self._loop.create_datagram_endpoint(
            lambda: upstream, remote_addr=("127.0.0.1", self.target_port)
        )
        for data in self._pending.pop(upstream.client, []):
            self.forward(upstream.up, data, self._to_server, upstream.client)

    def _to_server(self, data: bytes, client: Address) -> None:
        """Through the client's upstream socket of the moment (after a rebinding, a new one)."""
        upstream = self._upstreams.get(client)
        if upstream is not None and upstream.transport is not None:
            upstream.transport.sendto(data)

    def forward(self, lane: _Lane, data: bytes, send: Send, to: Address) -> None:
        now = time.monotonic()
        leaves = lane.departure(len(data), now, self.impairment)
        if leaves is None:
            return
        if leaves <= now:
            send(data, to)
        else:
            self._loop.call_later(leaves - now, send, data, to)


@contextlib.contextmanager
def impaired_link(target_port: int) -> Iterator[ImpairedLink]:
    link = ImpairedLink(target_port)
    link.start()
    try:
        yield link
    finally:
        link.stop()
