"""Each room's media path: `mesh` (browser to browser) or `sfu` (through a Janus room), decided
by the server and kept in the meeting's state on the bus, so every Glimpse instance agrees.

A room in media mode `auto` goes to the SFU when more than `sfu_threshold` participants send
video (or when it has more participants than a mesh takes), and back to the mesh once no more
than that have sent video for `sfu_settle` seconds, unless it is being recorded (Janus records
it: it stays on the SFU until its recording stops, then settles); `mesh` and `sfu` force either
(a host's `mesh` ends a recording). Every change
is a compare-and-set of the meeting's `media` field, so of two instances deciding at once one
wins (the other undoes what it prepared), and is announced to the whole room as `media-path`
with a new generation. A room that goes back to the mesh because it settled or a host chose
`mesh` hands over: its Janus room stops recording at once and is destroyed `sfu_handover` seconds
later (or when the instance stops), so that its browsers receive through it until their mesh
links connect. Every other Janus room left behind goes at once. A room whose Janus is lost moves
to another (or, with none left, to the mesh), and so does a room on a Janus this instance cannot
reach once it serves it (the Janus room it leaves there is destroyed once this instance reaches
that Janus again). The last participant out destroys the room's Janus room; when its last
participants' instance died instead, the instance that hears of their departure from the bus
does it.

Should the bus lose the meeting's state (Redis restarted without persistence, or flushed: its
epoch changes) while the room's browsers are on a path, the instances that serve the room write
back the path and media mode they last saw (compare-and-set from unset) at their next look, and
tell the room (so a joiner told otherwise meanwhile follows). A path another instance set first
stays, but moves to a generation above the lost one, so that every browser republishes into it.
Until the instance has noticed the loss, a switch it makes takes a generation above the one it
last saw, for the same reason.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Final, Literal

import msgspec
from msgspec.structs import replace

from glimpse.bus import Bus, BusUnavailable
from glimpse.meetings.state import RECORDING
from glimpse.realtime import protocol
from glimpse.realtime.hub import Hub
from glimpse.settings import Settings
from glimpse.sfu.background import Background
from glimpse.sfu.janus import JanusError
from glimpse.sfu.janus_rooms import create_room, destroy_room, set_recording
from glimpse.sfu.registry import JanusRegistry, MediaServerUnavailable
from glimpse.store import MediaMode
from glimpse.store.base import parse_media_mode

log = logging.getLogger(__name__)

FIELD: Final = "media"
"""The meeting-state field (glimpse/meetings/state.py) that holds the room's media path."""
MODE_FIELD: Final = "media_mode"
"""The meeting-state field with the room's media mode setting, as of its latest join or change
(so every instance decides by the same setting)."""
SETTLE_MARGIN: Final = 0.05
"""Seconds a settled room's review waits past `sfu_settle` (timers may fire a little early)."""
LOOK_INTERVAL: Final = 5.0
"""Seconds between looks at a recorded room with few cameras (its recording may stop without a
host's `record` here: another instance took it over from a dead one and stopped it), and before
a look the bus kept from happening is tried again."""
PUBLICATIONS_PER_PARTICIPANT: Final = 2
"""A camera and a screen."""


class RoomMedia(msgspec.Struct, frozen=True, omit_defaults=True):
    """A room's media path as the instances share it; the Janus room and its secrets never leave
    the server."""

    mode: Literal["mesh", "sfu"] = "mesh"
    generation: int = 0
    janus: str = ""
    """The URL of the Janus the room is on (mode `sfu`)."""
    room: int = 0
    """The Janus room's id."""
    secret: str = ""
    pin: str = ""

    @property
    def public(self) -> protocol.MediaPath:
        return protocol.MediaPath(self.mode, self.generation)

    def shares_room(self, other: RoomMedia) -> bool:
        """Whether both paths go through one Janus room."""
        same_room = self.janus == other.janus and self.room == other.room
        return self.mode == other.mode == "sfu" and same_room


_decoder = msgspec.json.Decoder(RoomMedia)
_encoder = msgspec.json.Encoder()


@dataclass(frozen=True, slots=True)
class Seen:
    """A room's path as this instance last saw it: what it writes back should the bus lose it
    (that is, should the bus's epoch have changed since)."""

    path: RoomMedia
    setting: MediaMode | None
    """The room's media mode setting (None: not known)."""
    epoch: str


class MediaPaths:
    def __init__(
        self, bus: Bus, hub: Hub, registry: JanusRegistry | None, settings: Settings
    ) -> None:
        self._bus = bus
        self._hub = hub
        self._registry = registry
        self._admin_key = (
            settings.janus_admin_key.get_secret_value() if settings.janus_admin_key else ""
        )
        self._threshold = settings.sfu_threshold
        self._settle = settings.sfu_settle
        self._handover = settings.sfu_handover
        self._mesh_size = settings.max_room_participants
        self._publications = settings.sfu_max_participants * PUBLICATIONS_PER_PARTICIPANT
        self._rooms: dict[str, Seen] = {}
        """Rooms served here (reviewed with participants here), with their path as last seen: the
        rooms to move should their Janus be lost, and what is written back should the bus lose
        it."""
        self._calm_since: dict[str, float] = {}
        """SFU rooms where no more than the threshold send video: since when."""
        self._settling: dict[str, asyncio.TimerHandle] = {}
        """Reviews due once a room's calm has lasted `sfu_settle`."""
        self._leftovers: dict[str, list[RoomMedia]] = {}
        """Janus rooms this instance could not destroy, their Janus out of its reach (by URL):
        destroyed once it reaches that Janus again."""
        self._handovers: dict[RoomMedia, asyncio.TimerHandle] = {}
        """Janus rooms that rooms left for the mesh, kept until their handover is over and they
        are destroyed."""
        self._background = Background()
        if registry is not None:
            registry.on_loss(self._janus_lost)
            registry.on_reach(self._janus_reached)
            hub.on_roster_change(self.review)

    @property
    def enabled(self) -> bool:
        """Whether there is an SFU at all."""
        return self._registry is not None

    async def current(self, room_id: str, known: Seen | None = None) -> RoomMedia:
        """The room's path; should the bus have lost it, what this instance saw of it (of a room
        it serves, else `known`) is written back first."""
        return (await self._read(room_id, known))[0]

    def seen(self, path: RoomMedia) -> Seen:
        """`path`, seen now (for `current`)."""
        return Seen(path, None, self._bus.epoch)

    async def keep(self) -> None:
        """Write back the paths of the rooms served here that the bus lost (mesh rooms that never
        switched have none to lose)."""
        for room_id, seen in list(self._rooms.items()):
            if seen.path != RoomMedia():
                await self._read(room_id)

    async def _read(self, room_id: str, known: Seen | None = None) -> tuple[RoomMedia, MediaMode]:
        """The room's path and its media mode setting. A path this instance saw (`current`) that
        the bus holds replaced by none, or by one of no later generation (a switch always raises
        it), was lost by the bus if its epoch changed since (then it is restored first), else the
        meeting ended, or the bus has yet to notice its loss (then it stays the one seen)."""
        path, setting = await self._fetch(room_id)
        if not self._hub.roster(room_id):  # no longer served here (the meeting may have ended)
            self._rooms.pop(room_id, None)
        seen = self._rooms.get(room_id, known)
        if seen is not None and path != seen.path and path.generation <= seen.path.generation:
            if seen.epoch == self._bus.epoch:
                return path, setting
            await self._restore(room_id, seen, path)
            path, setting = await self._fetch(room_id)
        if room_id in self._rooms:
            self._rooms[room_id] = Seen(path, setting, self._bus.epoch)
        return path, setting

    async def _fetch(self, room_id: str) -> tuple[RoomMedia, MediaMode]:
        """The room's path and setting as the bus holds them."""
        fields = await self._bus.meeting(room_id)
        stored = fields.get(FIELD)
        path = RoomMedia() if stored is None else _decoder.decode(stored)
        return path, parse_media_mode(fields.get(MODE_FIELD, b"auto").decode())

    async def _restore(self, room_id: str, seen: Seen, found: RoomMedia) -> None:
        """Write back a path (and its setting, when known) the bus lost, where it now holds
        `found`, and tell the room. When another instance has put the room on a path of its own
        (`found`, or one written meanwhile), whose generation the browsers on the lost path may
        take for theirs, that path moves to a generation above; the lost path's Janus room, left
        behind, goes."""
        lost = seen.path
        log.warning(
            "room %s: the bus lost its media path (generation %d)", room_id, lost.generation
        )
        if seen.setting is not None:
            await self._bus.set_meeting(room_id, MODE_FIELD, seen.setting.encode(), if_absent=True)
        if found == RoomMedia():
            if await self._replace(room_id, found, lost):
                return
            found, _ = await self._fetch(room_id)
        path = found
        if found != lost and found.generation <= lost.generation:
            renumbered = replace(found, generation=lost.generation + 1)
            if await self._replace(room_id, found, renumbered):
                path = renumbered
            else:  # changed meanwhile
                path, _ = await self._fetch(room_id)
        if lost.mode == "sfu" and not lost.shares_room(path):
            await self._destroy(lost)

    async def review(self, room_id: str, media_mode: MediaMode | None = None) -> protocol.MediaPath:
        """Decide the room's path after a join or a change of the room's settings (with its
        `media_mode`), a leave, or a change of who sends video (the hub tells, whoever made it:
        the participant or a host) or a departure with a dead instance; switch when it should
        change. Returns the path now."""
        if self._registry is None:
            return protocol.MediaPath()  # no SFU: every room is a mesh
        path, setting = await self._read(room_id)
        if media_mode is not None and media_mode != setting:
            await self._bus.set_meeting(room_id, MODE_FIELD, media_mode.encode())
            setting = media_mode
        if not self._hub.roster(room_id):  # not served here: others decide, if anyone is left
            self._rooms.pop(room_id, None)
            if path.mode == "sfu" and not await self._hub.occupied(room_id):
                path = await self._abandon(room_id, path)
            return path.public
        self._rooms.setdefault(room_id, Seen(path, setting, self._bus.epoch))
        wanted = await self._wanted(room_id, path, setting)
        if wanted is not None and wanted != path.mode:
            switched = await self._switch(room_id, path, wanted, hand_over=True)
            path = switched or await self.current(room_id)
        elif path.mode == "sfu" and path.janus not in self._registry.reachable():
            # placed while this instance reached that Janus, or by an instance that does: its
            # participants here could not use it, so it moves as if lost
            path = await self._switch(room_id, path, "sfu") or await self.current(room_id)
        return path.public

    async def empty(self, room_id: str) -> None:
        """The room's last participant left (the meeting ends): its Janus room goes."""
        self._rooms.pop(room_id, None)
        self._calm_since.pop(room_id, None)
        if (timer := self._settling.pop(room_id, None)) is not None:
            timer.cancel()
        path = await self.current(room_id)
        if path.mode == "sfu":
            await self._destroy(path)

    async def _abandon(self, room_id: str, path: RoomMedia) -> RoomMedia:
        """Nobody is left in the room on any instance, yet its path is `sfu`: its last
        participants' instance died (the bus took it for dead), or their departure waited for
        Redis. Back to the mesh, which destroys its Janus room, once across instances (the
        compare-and-set)."""
        switched = await self._switch(room_id, path, "mesh")
        if switched is None:
            return await self.current(room_id)
        log.info("room %s: nobody is left in it; its Janus room %d is gone", room_id, path.room)
        return switched

    async def _wanted(
        self, room_id: str, path: RoomMedia, setting: MediaMode
    ) -> Literal["mesh", "sfu"] | None:
        """The path the room should have now; None while it settles (SFU, few videos, not yet
        for long enough), or is recorded on the SFU (reviewed when a host here stops its
        recording, and every LOOK_INTERVAL meanwhile)."""
        if setting != "auto":
            return setting
        roster = self._hub.roster(room_id)
        videos = sum(participant.media.video for participant in roster)
        if videos > self._threshold or len(roster) > self._mesh_size:
            self._calm_since.pop(room_id, None)
            return "sfu"
        if path.mode == "mesh":
            return "mesh"
        if RECORDING in await self._bus.meeting(room_id):
            self._calm_since.pop(room_id, None)
            self._look_again(room_id, LOOK_INTERVAL)
            return None
        now = time.monotonic()
        since = self._calm_since.setdefault(room_id, now)
        if now - since >= self._settle:
            self._calm_since.pop(room_id, None)
            return "mesh"
        self._look_again(room_id, since + self._settle - now + SETTLE_MARGIN)  # once settled
        return None

    def _look_again(self, room_id: str, delay: float) -> None:
        """Review the room in `delay` seconds, unless a look is due by then already."""
        loop = asyncio.get_running_loop()
        due = self._settling.get(room_id)
        if due is not None and due.when() <= loop.time() + delay:
            return
        if due is not None:
            due.cancel()
        self._settling[room_id] = loop.call_later(delay, self._settled, room_id)

    def _settled(self, room_id: str) -> None:
        del self._settling[room_id]
        self._background.spawn(self._review_quietly(room_id))

    async def _switch(
        self,
        room_id: str,
        before: RoomMedia,
        mode: Literal["mesh", "sfu"],
        *,
        hand_over: bool = False,
    ) -> RoomMedia | None:
        """Compare and set the room's path from `before` to a new generation in `mode` (above
        the one last seen here too), and announce it; None when another instance changed it
        first. `hand_over`: a switch of the room's browsers from a Janus they use to the mesh."""
        seen = self._rooms.get(room_id)
        generation = max(before.generation, seen.path.generation if seen else 0) + 1
        if mode == "sfu":
            try:
                after = await self._new_janus_room(generation)
            except (MediaServerUnavailable, JanusError) as error:
                log.warning("room %s stays on its path: %s", room_id, error)
                if before.mode == "sfu":  # its Janus is gone and no other can take it
                    return await self._switch(room_id, before, "mesh")
                return None
        else:
            after = RoomMedia("mesh", generation)
        if not await self._replace(room_id, before, after, hand_over=hand_over):
            if after.mode == "sfu":
                await self._destroy(after)
            return None
        if seen and seen.path.mode == "sfu" and not seen.path.shares_room(before):
            await self._destroy(seen.path)  # the path the bus lost (it has yet to notice)
        return after

    async def _replace(
        self, room_id: str, before: RoomMedia, after: RoomMedia, *, hand_over: bool = False
    ) -> bool:
        """Compare and set the room's path from `before` to `after`; announce it, and destroy
        `before`'s Janus room when `after` is not in it (after a handover with `hand_over`).
        False when another instance changed it first (and then nothing was done)."""
        if not await self._bus.swap_meeting(
            room_id, FIELD, _stored(before), _encoder.encode(after)
        ):
            return False
        log.info("room %s: media path %s, generation %d", room_id, after.mode, after.generation)
        if (seen := self._rooms.get(room_id)) is not None:
            self._rooms[room_id] = Seen(after, seen.setting, self._bus.epoch)
        if before.mode == "sfu" and not before.shares_room(after):
            if hand_over:
                await self._hand_over(before)
            else:
                await self._destroy(before)
        changed = protocol.MediaPathChanged(media_path=after.public)
        await self._hub.broadcast(room_id, protocol.encode(changed))
        return True

    async def _new_janus_room(self, generation: int) -> RoomMedia:
        assert self._registry is not None
        url = await self._registry.place()
        room = await create_room(self._registry.control(url), self._admin_key, self._publications)
        return RoomMedia("sfu", generation, url, room.id, room.secret, room.pin)

    async def _destroy(self, path: RoomMedia) -> None:
        assert self._registry is not None
        try:
            control = self._registry.control(path.janus)
        except MediaServerUnavailable:
            self._leftovers.setdefault(path.janus, []).append(path)
            return
        await destroy_room(control, path.room, path.secret)

    async def _hand_over(self, path: RoomMedia) -> None:
        """The room's browsers leave `path`'s Janus room for the mesh: it stops recording at once
        (a recording ends with the switch, as when its room is destroyed) and is destroyed
        `sfu_handover` seconds later, once their mesh links have had time to connect; at once
        when its Janus cannot be reached."""
        assert self._registry is not None
        try:
            await set_recording(self._registry.control(path.janus), path.room, path.secret, False)
        except (MediaServerUnavailable, JanusError):
            await self._destroy(path)
            return
        loop = asyncio.get_running_loop()
        self._handovers[path] = loop.call_later(self._handover, self._handover_due, path)

    def _handover_due(self, path: RoomMedia) -> None:
        self._background.spawn(self._end_handover(path))

    async def _end_handover(self, path: RoomMedia) -> None:
        await self._destroy(path)
        self._handovers.pop(path, None)

    def _janus_reached(self, url: str) -> None:
        for path in self._leftovers.pop(url, []):
            self._background.spawn(self._destroy(path))

    def _janus_lost(self, url: str) -> None:
        """Move the rooms served here that were on the lost Janus."""
        for room_id in list(self._rooms):
            if not self._hub.roster(room_id):
                self._rooms.pop(room_id, None)
                continue
            self._background.spawn(self._move(room_id, url))

    async def _move(self, room_id: str, url: str) -> None:
        try:
            path, setting = await self._read(room_id)
            if path.mode == "sfu" and path.janus == url:
                await self._switch(room_id, path, "mesh" if setting == "mesh" else "sfu")
        except BusUnavailable:
            log.warning("could not move room %s off a lost Janus: the bus is down", room_id)

    async def _review_quietly(self, room_id: str) -> None:
        try:
            await self.review(room_id)
        except BusUnavailable:
            self._look_again(room_id, LOOK_INTERVAL)

    async def stop(self) -> None:
        """Stop deciding; the Janus rooms still handed over are destroyed now, not left behind."""
        for timer in (*self._settling.values(), *self._handovers.values()):
            timer.cancel()
        self._settling.clear()
        await self._background.cancel()
        for path in list(self._handovers):  # a destroy the cancel interrupted is done again
            self._background.spawn(self._end_handover(path))
        await self._background.wait()


def _stored(path: RoomMedia) -> bytes | None:
    """The field's value that holds `path` (None for the unset default)."""
    return None if path == RoomMedia() else _encoder.encode(path)
