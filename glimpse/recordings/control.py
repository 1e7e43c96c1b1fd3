"""The hosts' `record` requests: a meeting whose media goes through the SFU is recorded from one
host's `record` to another's (or the meeting's end), and everyone in it is told (`recording`).

The room's Janus room (its id and secret) is the one of its media path (glimpse/sfu/media_path.py),
controlled through this instance's handle on that Janus; whether the meeting is being recorded is
a field of the meeting's state on the bus, so every instance tells its joiners (`joined`), and so
is the instance that owns the recording (`recording-owner`, set by compare-and-set before it
starts, so of two hosts starting at once on two instances one gets `already_recording`).

A room in media mode `auto` stays on the SFU while it is recorded (glimpse/sfu/media_path.py),
and is reviewed once a host stops its recording. When the room's media leaves that Janus room
(a host set the room to `mesh`, its Janus was lost, or the bus lost its path), Janus stops
writing: the Janus room is destroyed, or, back on the mesh, stops recording at once and is
destroyed once the room has handed over. The instance that started the recording notices
within WATCH_INTERVAL (it looks at the rooms it records) and stops it, which makes the file of
what was written.

When the owning instance dies, every instance looks every WATCH_INTERVAL at the recordings in
progress (the store's, of any room): one whose owner the bus no longer takes for alive (after
GLIMPSE_BUS_PRESENCE_TTL) is taken over by compare-and-set of its owner, and the instance that
won stops it on Janus, makes its file and tells the room. So is a recording whose file was being
made (`processing`) by an instance that died (or stopped) meanwhile: the instance that takes it
over (compare-and-set of its maker, glimpse/recordings/recorder.py) makes its file from the raw
streams. The first look is at start-up, so a recording whose instances all died is finished by
the next instance to start.

When the bus loses the meeting's state (Redis restarted without persistence, or flushed: the bus's
epoch changes) while the owning instance lives, that instance notices at its next look once its
bus has: it writes back the room's media path (as the recording saw it, if no instance serving
the room has yet) and claims its recording back (compare-and-set), and tells the room again that
the meeting is recorded, which joiners are told from then on. So a recording without a known
owner (its state lost: a single instance's memory bus died with it, or Redis lost it) is taken
over by another instance only once it has stayed so for GLIMPSE_BUS_PRESENCE_TTL + WATCH_INTERVAL,
time for a living owner to claim it back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, replace
from typing import Final

from glimpse.bus import BusUnavailable
from glimpse.errors import Conflict, Forbidden, GlimpseError
from glimpse.meetings.roles import is_host
from glimpse.meetings.state import Meetings
from glimpse.realtime import protocol
from glimpse.realtime.hub import Hub
from glimpse.recordings.recorder import Recorder, SfuRoom
from glimpse.sfu.janus import JanusError
from glimpse.sfu.media_path import MediaPaths, RoomMedia, Seen
from glimpse.sfu.registry import JanusRegistry, MediaServerUnavailable
from glimpse.store import RecordingRecord, Store

log = logging.getLogger(__name__)

WATCH_INTERVAL: Final = 2.0
"""Seconds between looks at the media path of each room recorded from this instance, and at the
owners (or makers) of every recording in progress (or being made into a file)."""
OWNER: Final = "recording-owner"
"""The meeting-state field with the id of the instance that owns the room's recording: set
before it starts, cleared once it has stopped."""


@dataclass(frozen=True, slots=True)
class Recorded:
    """A recording this instance owns: its id, the media path it records (as seen when it
    started it, or claimed it back), and the host who started it."""

    id: str
    seen: Seen
    by: str


class RecordingControl:
    def __init__(
        self,
        recorder: Recorder,
        paths: MediaPaths,
        registry: JanusRegistry | None,
        hub: Hub,
        meetings: Meetings,
        store: Store,
        presence_ttl: float,
    ) -> None:
        self._recorder = recorder
        self._paths = paths
        self._registry = registry
        self._hub = hub
        self._meetings = meetings
        self._store = store
        self._bus = hub.bus
        self._recorded: dict[str, Recorded] = {}
        """Rooms recorded from this instance."""
        self._ownerless: dict[str, float] = {}
        """Recordings in progress (or being made) seen without a known owner (or maker): since
        when (monotonic clock)."""
        self._ownerless_grace = presence_ttl + WATCH_INTERVAL
        """Seconds a recording stays without a known owner before another instance takes it over:
        a living owner claims it back once its bus has noticed the loss (within a heartbeat, less
        than the presence TTL) and it has looked; and a maker names itself before the record
        turns `processing`."""

    async def handle(
        self, room_id: str, participant: protocol.Participant, request: protocol.Record
    ) -> None:
        """Start or stop recording for a host (`forbidden` for others); starting only while the
        room's media goes through the SFU (`not_sfu`), and once (`already_recording`)."""
        if not is_host(participant.role):
            raise Forbidden("only hosts may record the meeting")
        if not request.active:
            await self._stop(room_id, participant.id, await self._sfu_room(room_id))
            await self._paths.review(room_id)  # kept on the SFU while recorded: it may settle now
            return
        path = await self._paths.current(room_id)
        if path.mode != "sfu" or self._registry is None:
            raise GlimpseError("this room's media goes browser to browser", code="not_sfu")
        sfu = SfuRoom(self._registry.control(path.janus), path.room, path.secret)
        room = await self._store.get_room(room_id)
        if room is None:
            raise GlimpseError("this room no longer exists", code="room_not_found")
        if not await self._claim(room_id, await self._owner(room_id)):
            raise Conflict("this meeting is being recorded already", code="already_recording")
        try:
            recording = await self._recorder.start(room_id, room.owner_id, sfu)
        except BaseException as error:
            await self._bus.set_meeting(room_id, OWNER, None)
            if isinstance(error, JanusError):
                log.warning("Janus did not start recording room %s: %s", room_id, error)
                raise MediaServerUnavailable("the media server did not start recording") from error
            raise
        self._recorded[room_id] = Recorded(recording.id, self._paths.seen(path), participant.id)
        await self._announce(room_id, True, participant.id)

    async def stop(self, room_id: str) -> None:
        """Stop the room's recording, if any, before its Janus room goes (the meeting ended)."""
        await self._stop(room_id, None, await self._sfu_room(room_id))

    async def _stop(self, room_id: str, by: str | None, sfu: SfuRoom | None) -> None:
        """Stop the room's recording, if any (in Janus too, when `sfu` is its Janus room), and
        let go of its ownership; the room hears of it."""
        self._recorded.pop(room_id, None)
        stopped = await self._recorder.stop(room_id, sfu)
        await self._bus.set_meeting(room_id, OWNER, None)
        if stopped is not None:
            await self._announce(room_id, False, by)

    async def watch(self) -> None:
        """Until cancelled (at once, then every WATCH_INTERVAL): write back the media paths of
        the rooms served here that the bus lost (glimpse/sfu/media_path.py); stop the recordings
        started here whose room's media has left the Janus room they record (its Janus room is
        gone, and with it what Janus was writing), and claim back those whose ownership the bus
        lost; take over those whose instance is gone, and make the files of those whose maker
        is."""
        while True:
            try:
                await self._paths.keep()
            except Exception:  # the bus down: look again next time
                log.exception("writing back lost media paths failed")
            for room_id, recorded in list(self._recorded.items()):
                try:
                    await self._look_after(room_id, recorded)
                except Exception:  # the bus or the store down: look again next time
                    log.exception("checking the recording of room %s failed", room_id)
            try:
                now = time.monotonic()
                in_progress = await self._store.recordings_in_progress()
                self._ownerless = {
                    r.id: self._ownerless[r.id] for r in in_progress if r.id in self._ownerless
                }
                for recording in in_progress:
                    await self._take_over_if_orphaned(recording, now)
            except BusUnavailable:
                log.warning("could not look for recordings of dead instances: the bus is down")
            except Exception:
                log.exception("looking for recordings of dead instances failed")
            await asyncio.sleep(WATCH_INTERVAL)

    async def _look_after(self, room_id: str, recorded: Recorded) -> None:
        """Let go of a recording of this instance's that another instance stopped (the meeting
        ended) or took over (it took this one for dead); stop one whose room's media moved; claim
        it back when the bus lost its ownership."""
        active = await self._recorder.active(room_id)
        if active is None or active.id != recorded.id:
            if self._recorded.get(room_id) is recorded:
                del self._recorded[room_id]
            return
        path = await self._paths.current(room_id, recorded.seen)
        owner = await self._owner(room_id)
        if self._recorded.get(room_id) is not recorded:
            return  # stopped (and maybe restarted) meanwhile
        if owner not in (self._bus.instance_id.encode(), None):
            del self._recorded[room_id]
        elif owner is None and recorded.seen.epoch == self._bus.epoch:
            return  # the state is gone, and the bus has yet to notice it lost it: look again
        elif not path.shares_room(recorded.seen.path):
            # Janus stopped writing with the move, unless recording started on a room already
            # handing over (its Janus room lives on a while): stop it there too.
            await self._stop(room_id, None, self._janus_room(recorded.seen.path))
        elif owner is None and recorded.seen.epoch != self._bus.epoch:
            await self._claim_back(room_id, recorded, path)

    async def _claim_back(self, room_id: str, recorded: Recorded, path: RoomMedia) -> None:
        """Own the recording again (compare-and-set), and tell the room again that it is
        recorded, which joiners are told from then on."""
        mine = self._bus.instance_id.encode()
        if not await self._bus.swap_meeting(room_id, OWNER, None, mine):
            return  # another instance claimed it first: let go at the next look
        if self._recorded.get(room_id) is not recorded:  # stopped meanwhile: not to be claimed
            await self._bus.swap_meeting(room_id, OWNER, mine, None)
            return
        log.warning("room %s: the bus lost its recording's owner; claimed back", room_id)
        self._recorded[room_id] = replace(recorded, seen=self._paths.seen(path))
        await self._announce(room_id, True, recorded.by)

    async def _owner(self, room_id: str) -> bytes | None:
        return (await self._bus.meeting(room_id)).get(OWNER)

    async def _claim(self, room_id: str, owner: bytes | None) -> bool:
        """Make this instance the owner of the room's recording in place of `owner` (as read),
        unless that is alive (this instance included) or another claims it at the same moment."""
        if owner is not None and await self._bus.alive(owner.decode()):
            return False
        return await self._bus.swap_meeting(room_id, OWNER, owner, self._bus.instance_id.encode())

    async def _take_over_if_orphaned(self, recording: RecordingRecord, now: float) -> None:
        """Stop a recording whose owning instance is dead, or make the file of one whose maker
        is, unless another instance takes it over first; one without a known owner (or maker)
        once it has stayed so for the grace of its owner."""
        making = recording.status == "processing"
        if making:
            owner = await self._recorder.maker(recording.id)
        else:
            owner = await self._owner(recording.room_id)
        if owner is None:
            if now - self._ownerless.setdefault(recording.id, now) < self._ownerless_grace:
                return
        else:
            self._ownerless.pop(recording.id, None)
        if making:
            if owner is None or not await self._bus.alive(owner.decode()):
                await self._recorder.take_over(recording, owner)
        elif await self._claim(recording.room_id, owner):
            log.info("recording %s: its instance is gone; stopping it here", recording.id)
            await self._stop(recording.room_id, None, await self._sfu_room(recording.room_id))

    async def _sfu_room(self, room_id: str) -> SfuRoom | None:
        """The room's Janus room, while its media goes through one that can be reached."""
        return self._janus_room(await self._paths.current(room_id))

    def _janus_room(self, path: RoomMedia) -> SfuRoom | None:
        """The Janus room of `path`, when it is on one that can be reached."""
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
