"""In-process bus: one server instance, nothing to share, nothing to install."""

from __future__ import annotations

from glimpse.bus.base import Bus, DepartureHandler, EventHandler, EvictionHandler


class MemoryBus(Bus):
    """Keeps the rosters in a dict; with a single instance there is no one to publish to."""

    def __init__(self) -> None:
        super().__init__()
        self._rosters: dict[str, dict[str, bytes]] = {}
        self._meetings: dict[str, dict[str, bytes]] = {}
        self._counters: dict[str, dict[str, int]] = {}

    async def connect(
        self, on_event: EventHandler, on_departure: DepartureHandler, on_eviction: EvictionHandler
    ) -> None:
        return None

    async def close(self) -> None:
        self._rosters.clear()
        self._meetings.clear()

    async def ping(self) -> None:
        return None

    async def subscribe(self, room_id: str) -> None:
        return None

    async def unsubscribe(self, room_id: str) -> None:
        return None

    async def publish(self, room_id: str, payload: bytes) -> None:
        return None

    async def publish_revocation(self, payload: bytes) -> None:
        return None

    async def add_participant(self, room_id: str, participant_id: str, info: bytes) -> None:
        self._rosters.setdefault(room_id, {})[participant_id] = info

    async def remove_participant(self, room_id: str, participant_id: str) -> None:
        roster = self._rosters.get(room_id)
        if roster is not None:
            roster.pop(participant_id, None)
            if not roster:
                del self._rosters[room_id]

    async def participants(self, room_id: str) -> dict[str, bytes]:
        return dict(self._rosters.get(room_id, {}))

    async def meeting(self, room_id: str) -> dict[str, bytes]:
        return dict(self._meetings.get(room_id, {}))

    async def set_meeting(
        self, room_id: str, field: str, value: bytes | None, *, if_absent: bool = False
    ) -> bool:
        fields = self._meetings.setdefault(room_id, {})
        if if_absent and field in fields:
            return False
        if value is None:
            fields.pop(field, None)
        else:
            fields[field] = value
        return True

    async def swap_meeting(
        self, room_id: str, field: str, expected: bytes | None, value: bytes | None
    ) -> bool:
        fields = self._meetings.setdefault(room_id, {})
        if fields.get(field) != expected:
            return False
        if value is None:
            fields.pop(field, None)
        else:
            fields[field] = value
        return True

    async def clear_meeting(self, room_id: str) -> None:
        self._meetings.pop(room_id, None)

    async def add_to_counter(self, name: str, key: str, delta: int) -> None:
        counters = self._counters.setdefault(name, {})
        counters[key] = counters.get(key, 0) + delta
        if not counters[key]:
            del counters[key]

    async def counters(self, name: str) -> dict[str, int]:
        return dict(self._counters.get(name, {}))

    async def alive(self, instance_id: str) -> bool:
        return instance_id == self.instance_id
