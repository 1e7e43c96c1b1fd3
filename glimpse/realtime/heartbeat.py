"""The heartbeat of every WebSocket on this instance: one timer for all, not one per connection.

The connections are spread over the SLOTS slices of a wheel; every GLIMPSE_HEARTBEAT_INTERVAL /
SLOTS seconds the hand visits one slice. So each connection is visited once per interval, with no
timer of its own to create, cancel or collect, and no turn of the loop visits more than a slice.
A visit (`Beating.beat`) pings the client, or closes a socket silent for longer than
GLIMPSE_HEARTBEAT_TIMEOUT (docs/protocol.md, "Heartbeat").
"""

from __future__ import annotations

import asyncio
import time
from typing import Final, Protocol

SLOTS: Final = 20


class Beating(Protocol):
    def beat(self, now: float) -> None:
        """A visit, `now` by `time.monotonic()`: ping, or close if silent too long."""


class Heartbeat:
    """The wheel: `add` a connection when it opens, `remove` it when it closes; `run` turns it."""

    def __init__(self, interval: float) -> None:
        self._tick = interval / SLOTS
        self._slices: list[set[Beating]] = [set() for _ in range(SLOTS)]
        self._slice_of: dict[Beating, int] = {}
        self._hand = 0

    def add(self, member: Beating) -> None:
        """First visited one whole interval from now: in the slice the hand has just left."""
        slot = (self._hand - 1) % SLOTS
        self._slices[slot].add(member)
        self._slice_of[member] = slot

    def remove(self, member: Beating) -> None:
        slot = self._slice_of.pop(member, None)
        if slot is not None:
            self._slices[slot].discard(member)

    def __len__(self) -> int:
        return len(self._slice_of)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time()
        while True:
            due += self._tick  # on a fixed schedule: a late tick does not delay the next ones
            await asyncio.sleep(max(0.0, due - loop.time()))
            now = time.monotonic()
            for member in list(self._slices[self._hand]):  # a visit may close the socket
                member.beat(now)
            self._hand = (self._hand + 1) % SLOTS
