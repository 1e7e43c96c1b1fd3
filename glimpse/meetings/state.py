"""Each room's meeting state, kept in the bus so that every instance sees the same: the meeting's
id (which admission tickets bind), whether it is locked, who was removed from it, which
participants left it for good after their reconnect grace (their resume tokens no longer resume),
and whether it is being recorded.

One field per fact (`id`, `locked`, `removed:<identity id>`, `departed:<participant id>`,
`recording`), so
that hosts acting at once on different instances never overwrite each other. A meeting starts
with its first join and ends when a host ends it or its last participant leaves.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Final

from glimpse.bus import Bus

ID: Final = "id"
LOCKED: Final = "locked"
REMOVED: Final = "removed:"
DEPARTED: Final = "departed:"
RECORDING: Final = "recording"


@dataclass(frozen=True, slots=True)
class MeetingState:
    id: str
    locked: bool
    removed: frozenset[str]
    """Identity ids a host removed: they wait in the lobby if they come back."""
    departed: frozenset[str]
    """Participant ids whose reconnect grace ran out: the others were told they left."""
    recording: bool = False


class Meetings:
    def __init__(self, bus: Bus) -> None:
        self._bus = bus

    async def recorded(self, room_id: str) -> bool:
        """Whether the room's meeting is being recorded now (read only: starts no meeting)."""
        return RECORDING in await self._bus.meeting(room_id)

    async def current(self, room_id: str) -> MeetingState:
        """The room's meeting, started now if there is none."""
        fields = await self._bus.meeting(room_id)
        if ID not in fields:
            await self._bus.set_meeting(room_id, ID, uuid.uuid4().hex.encode(), if_absent=True)
            fields = await self._bus.meeting(room_id)
        return MeetingState(
            id=fields[ID].decode(),
            locked=LOCKED in fields,
            removed=frozenset(
                name.removeprefix(REMOVED) for name in fields if name.startswith(REMOVED)
            ),
            departed=frozenset(
                name.removeprefix(DEPARTED) for name in fields if name.startswith(DEPARTED)
            ),
            recording=RECORDING in fields,
        )

    async def lock(self, room_id: str, locked: bool) -> None:
        await self._bus.set_meeting(room_id, LOCKED, b"1" if locked else None)

    async def remove(self, room_id: str, identity_id: str) -> None:
        await self._bus.set_meeting(room_id, REMOVED + identity_id, b"1")

    async def readmit(self, room_id: str, identity_id: str) -> None:
        """A host let a removed person back in."""
        await self._bus.set_meeting(room_id, REMOVED + identity_id, None)

    async def depart(self, room_id: str, participant_id: str) -> None:
        """A participant's reconnect grace ran out: it may come back, but with a new id."""
        await self._bus.set_meeting(room_id, DEPARTED + participant_id, b"1")

    async def record(self, room_id: str, by: str | None) -> None:
        """The meeting is being recorded (`by`: the host who started it), or no longer (None)."""
        await self._bus.set_meeting(room_id, RECORDING, None if by is None else by.encode())

    async def end(self, room_id: str) -> None:
        await self._bus.clear_meeting(room_id)
