"""The garbage collector as the server runs it (glimpse/heap.py): survivors frozen, none of a
connection's objects left in a reference cycle, a full collection when memory has grown."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from glimpse.heap import FrozenHeap
from glimpse.realtime.connection import WebSocketConnection
from tests.conftest import RunningServer, wait_until


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture
def saved_garbage() -> Iterator[list[object]]:
    """Unreachable objects kept for inspection (gc.DEBUG_SAVEALL) rather than freed."""
    flags = gc.get_debug()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        yield gc.garbage
    finally:
        gc.set_debug(flags)
        gc.garbage.clear()


def test_survivors_are_frozen_until_memory_has_grown() -> None:
    heap = FrozenHeap(growth=0)  # any memory counts as grown
    heap.start()
    try:
        first, second = Node(), Node()
        first.other, second.other = second, first
        gone = weakref.ref(first)
        gc.collect(0)  # survived: frozen
        del first, second
        gc.collect()
        assert gone() is not None, "a frozen cycle is out of the collector's sight"
        assert heap.collect_if_grown()
        assert gone() is None
    finally:
        heap.stop()


async def test_a_closed_connection_leaves_no_reference_cycle(
    server: RunningServer, saved_garbage: list[object]
) -> None:
    """Its objects may be frozen, and a frozen cycle would never be freed."""
    a, b, room = await server.ann_and_bob_in_a_room()
    await a.chat("hello")
    await b.expect("chat")
    dropped = await server.connect(await server.register("Cy"))
    await dropped.join(room["code"])
    stranger = await server.connect()  # gone before it authenticates
    dropped.connection.transport.abort()  # no close frame: the server's parser meets the end
    for client in (a, b, stranger):
        await client.close()

    server_side = {"Session", "WebSocketConnection", "ServerProtocol", "GuardedHttpProtocol"}

    async def connections_gone() -> bool:
        """Freed, or found unreachable (and kept: DEBUG_SAVEALL)."""
        gc.unfreeze()
        gc.collect()
        gc.unfreeze()  # the server's heap froze everything again after that collection
        kept = {id(o) for o in saved_garbage}
        return not any(
            isinstance(o, WebSocketConnection) and id(o) not in kept for o in gc.get_objects()
        )

    await wait_until(connections_gone, 5, "the server let go of every connection")
    assert [type(o).__name__ for o in saved_garbage if type(o).__name__ in server_side] == []
