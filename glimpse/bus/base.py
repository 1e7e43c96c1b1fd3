"""The bus interface: room events and presence shared between server instances.

Modelled on python-socketio's pub/sub manager: an instance handles its own participants locally
and publishes each room event once for the other instances; a backend never hands an instance
its own events back. Besides the rooms' channels, one instance-wide channel carries revocations
(login sessions that ended), which every instance hears.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable

EventHandler = Callable[[str, bytes], None]
"""Called with (room_id, payload) for every event another instance published to a room."""

DepartureHandler = Callable[[str, str], Awaitable[None]]
"""Called with (room_id, participant_id) for a participant whose instance has died."""

EvictionHandler = Callable[[], Awaitable[None]]
"""Called when the other instances took this one for dead (cut off from the bus for longer than
the presence TTL) and dropped its participants from their rosters."""

RevocationHandler = Callable[[bytes], None]
"""Called with the payload of every revocation another instance published."""


class BusUnavailable(Exception):
    """The bus cannot be reached right now; the event was not delivered to other instances."""


class Bus(ABC):
    def __init__(self) -> None:
        self.instance_id = uuid.uuid4().hex
        self.echo_lag: float | None = None
        """Seconds the last heartbeat took through a shared bus and back (None: in-process)."""
        self.epoch = ""
        """Changes when the bus has lost what it held (a Redis restarted without persistence, or
        flushed): what an instance wrote before then may have to be written back. In-process it
        never changes."""
        self._on_revocation: RevocationHandler = _ignore

    def on_revocation(self, handler: RevocationHandler) -> None:
        """Hand the revocations other instances publish to `handler` (set before `connect`)."""
        self._on_revocation = handler

    @abstractmethod
    async def connect(
        self, on_event: EventHandler, on_departure: DepartureHandler, on_eviction: EvictionHandler
    ) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def ping(self) -> None:
        """Raise BusUnavailable when events cannot currently be carried."""

    @abstractmethod
    async def subscribe(self, room_id: str) -> None:
        """Start receiving the room's events (this instance now has participants there)."""

    @abstractmethod
    async def unsubscribe(self, room_id: str) -> None: ...

    @abstractmethod
    async def publish(self, room_id: str, payload: bytes) -> None:
        """Hand an event to the other instances subscribed to the room, in publishing order."""

    @abstractmethod
    async def publish_revocation(self, payload: bytes) -> None:
        """Hand a revocation to every other instance (an instance-wide channel, not a room's)."""

    @abstractmethod
    async def add_participant(self, room_id: str, participant_id: str, info: bytes) -> None:
        """Record a participant of this instance in the room's shared roster."""

    @abstractmethod
    async def remove_participant(self, room_id: str, participant_id: str) -> None: ...

    @abstractmethod
    async def participants(self, room_id: str) -> dict[str, bytes]:
        """The room's roster across all instances: participant id -> info."""

    @abstractmethod
    async def meeting(self, room_id: str) -> dict[str, bytes]:
        """The fields of the room's meeting state (glimpse/meetings/state.py); empty if none."""

    @abstractmethod
    async def set_meeting(
        self, room_id: str, field: str, value: bytes | None, *, if_absent: bool = False
    ) -> bool:
        """Set one field of the room's meeting state (None deletes it); with `if_absent`, only
        when it is not set yet. False when `if_absent` left it as it was."""

    @abstractmethod
    async def swap_meeting(
        self, room_id: str, field: str, expected: bytes | None, value: bytes | None
    ) -> bool:
        """Compare and set: set one field of the room's meeting state (None deletes it) only while
        it holds `expected` (None: while it is not set). False when it held something else (another
        instance changed it first), and then nothing was written."""

    @abstractmethod
    async def clear_meeting(self, room_id: str) -> None:
        """Drop the room's meeting state (the meeting ended)."""

    @abstractmethod
    async def add_to_counter(self, name: str, key: str, delta: int) -> None:
        """Add `delta` to this instance's share of one counter of the shared set of counters
        `name` (e.g. the load of each media server). The share lives as long as the instance:
        once the instance counts as dead (`alive`), it no longer counts."""

    @abstractmethod
    async def counters(self, name: str) -> dict[str, int]:
        """Every counter of the set `name`: the sum of the living instances' shares (missing
        ones are 0)."""

    @abstractmethod
    async def alive(self, instance_id: str) -> bool:
        """Whether that instance is alive: it keeps its presence on the bus (this one always
        is)."""


def _ignore(payload: bytes) -> None:
    """No one listens for revocations (until `on_revocation`)."""
