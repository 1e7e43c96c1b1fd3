"""The hosts' `record` requests: a meeting whose media goes through the SFU is recorded from one
host's `record` to another's (or the meeting's end), and everyone in it is told (`recording`).

The room's Janus room (its id and secret) is the one of its media path (glimpse/sfu/media_path.py),
controlled through this instance's handle on that Janus; whether the meeting is being recorded is
a field of the meeting's state on the bus, so every instance tells its joiners (`joined`).

When the room's media leaves that Janus room (back to the mesh, or moved to another Janus), the
Janus room is destroyed and Janus stops writing: the instance that started the recording notices
within WATCH_INTERVAL (it looks at the rooms it records) and stops it, which makes the file of
what was written.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Final

from glimpse.errors import Forbidden, GlimpseError
from glimpse.meetings.roles import is_host
from glimpse.meetings.state import Meetings
from glimpse.realtime import protocol
from glimpse.realtime.hub import Hub
from glimpse.recordings.recorder import Recorder, SfuRoom
from glimpse.sfu.janus import JanusError
from glimpse.sfu.media_path import MediaPaths
from glimpse.sfu.registry import JanusRegistry, MediaServerUnavailable
from glimpse.store import Store

log = logging.getLogger(__name__)

WATCH_INTERVAL: Final = 2.0
"""Seconds between looks at the media path of each room recorded from this instance."""


class RecordingControl:
    def __init__(
        self,
        recorder: Recorder,
        paths: MediaPaths,
        registry: JanusRegistry | None,
        hub: Hub,
        meetings: Meetings,
        store: Store,
    ) -> None:
        self._recorder = recorder
        self._paths = paths
        self._registry = registry
        self._hub = hub
        self._meetings = meetings
        self._store = store
        self._recorded: dict[str, tuple[str, int]] = {}
        """Rooms recorded from this instance: the Janus (URL) and room the recording is in."""

    async def handle(
        self, room_id: str, participant: protocol.Participant, request: protocol.Record
    ) -> None:
        """Start or stop recording for a host (`forbidden` for others); starting only while the
        room's media goes through the SFU (`not_sfu`), and once (`already_recording`)."""
        if not is_host(participant.role):
            raise Forbidden("only hosts may record the meeting")
        if not request.active:
            self._recorded.pop(room_id, None)
            if await self._recorder.stop(room_id, await self._sfu_room(room_id)) is not None:
                await self._announce(room_id, False, participant.id)
            return
        path = await self._paths.current(room_id)
        if path.mode != "sfu" or self._registry is None:
            raise GlimpseError("this room's media goes browser to browser", code="not_sfu")
        sfu = SfuRoom(self._registry.control(path.janus), path.room, path.secret)
        room = await self._store.get_room(room_id)
        if room is None:
            raise GlimpseError("this room no longer exists", code="room_not_found")
        try:
            await self._recorder.start(room_id, room.owner_id, sfu)
        except JanusError as error:
            log.warning("Janus did not start recording room %s: %s", room_id, error)
            raise MediaServerUnavailable("the media server did not start recording") from error
        self._recorded[room_id] = (path.janus, path.room)
        await self._announce(room_id, True, participant.id)

    async def stop(self, room_id: str) -> None:
        """Stop the room's recording, if any, before its Janus room goes (the meeting ended)."""
        self._recorded.pop(room_id, None)
        if await self._recorder.stop(room_id, await self._sfu_room(room_id)) is not None:
            await self._announce(room_id, False, None)

    async def watch(self) -> None:
        """Until cancelled: stop the recordings started here whose room's media has left the
        Janus room they record (its Janus room is gone, and with it what Janus was writing)."""
        while True:
            await asyncio.sleep(WATCH_INTERVAL)
            for room_id, recorded_in in list(self._recorded.items()):
                try:
                    path = await self._paths.current(room_id)
                    moved = path.mode != "sfu" or (path.janus, path.room) != recorded_in
                    if not moved or self._recorded.get(room_id) != recorded_in:
                        continue  # still there; or stopped (and maybe restarted) meanwhile
                    del self._recorded[room_id]
                    if await self._recorder.stop(room_id, None) is not None:
                        await self._announce(room_id, False, None)
                except Exception:  # the bus or the store down: look again next time
                    log.exception("checking the recording of room %s failed", room_id)

    async def _sfu_room(self, room_id: str) -> SfuRoom | None:
        """The room's Janus room, while its media goes through one that can be reached."""
        path = await self._paths.current(room_id)
        if path.mode != "sfu" or self._registry is None:
            return None
        try:
            return SfuRoom(self._registry.control(path.janus), path.room, path.secret)
        except MediaServerUnavailable:  # gone with its Janus: so is the recording
            return None

    async def _announce(self, room_id: str, active: bool, by: str | None) -> None:
        await self._meetings.record(room_id, by if active else None)
        changed = protocol.RecordingChanged(active=active, by=by)
        await self._hub.broadcast(room_id, protocol.encode(changed))
