"""The Recorder: starts and stops Janus's recording of an SFU room, and makes the file afterwards.

Starting points the room's `rec_dir` at a folder of this recording's own (`edit` `new_rec_dir`,
under GLIMPSE_RECORDING_RAW_DIR) and turns recording on for every publisher (`enable_recording`,
with the room's secret): Janus writes one .mjr per stream there, including publishers who arrive
later. Stopping turns it off, marks the recording `processing`, and mixes the streams into one
file (glimpse/recordings/mixdown.py) in the background; the record ends `ready` (file, size,
duration) or `failed` with the reason, and nothing of a failure reaches the caller.

The recording in progress is the room's record with status `recording` in the store, so any
instance of a cluster can tell it and stop it (glimpse/recordings/control.py decides which
instance starts it, and which one stops it when that instance dies). The instance making a
recording's file is named in the bus's MAKERS state (set before the record turns `processing`,
cleared once the file is made, has failed, or the instance stops), so that another instance
makes the file of a `processing` recording whose maker died, from the raw streams in the shared
raw folder (`take_over`). Each run of the mixdown works in a folder of its own, so should two
instances make one file (the bus lost the maker's name while it lived), neither spoils the
other's; the first to finish marks it ready, and a failure of the other is not recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from glimpse.bus import Bus
from glimpse.errors import Conflict
from glimpse.recordings.mixdown import MixdownError, mixdown
from glimpse.sfu.janus import JanusError, JanusHandle
from glimpse.sfu.janus_rooms import set_recording
from glimpse.store import RecordingChanges, RecordingRecord, Store

log = logging.getLogger(__name__)

FILE_EXTENSION = ".mp4"
RECORDING_ID_LENGTH: Final = 32
"""A recording's id: a UUID4's 32 hex digits."""
MAKERS: Final = "recordings-being-made"
"""A state on the bus (kept as a room's meeting state is, but of no room) whose fields are the
ids of the recordings whose file is being made, each with the id of the instance making it."""


@dataclass(frozen=True, slots=True)
class SfuRoom:
    """The Janus videoroom a meeting's media goes through (glimpse/sfu/media_path.py): a handle
    on the videoroom plugin of the Janus the room is on, the room's id and its secret."""

    handle: JanusHandle
    room: int
    secret: str

    async def record(self, active: bool, rec_dir: Path | None = None) -> None:
        """Turn recording of every publisher on or off (first moving `rec_dir` when given)."""
        if rec_dir is not None:
            await self.handle.request(
                {"request": "edit", "room": self.room, "secret": self.secret,
                 "new_rec_dir": str(rec_dir)}
            )  # fmt: skip
        await set_recording(self.handle, self.room, self.secret, active)


def file_name(recording_id: str) -> str:
    """The finished file's name in the recordings folder."""
    return f"{recording_id}{FILE_EXTENSION}"


def is_recording_id(name: str) -> bool:
    """Whether `name` is a recording's id: its raw folder's name (and its file's, with
    FILE_EXTENSION)."""
    return len(name) == RECORDING_ID_LENGTH and all(c in "0123456789abcdef" for c in name)


class Recorder:
    def __init__(self, store: Store, recordings_dir: Path, raw_dir: Path, bus: Bus) -> None:
        self._store = store
        self.recordings_dir = recordings_dir
        self.raw_dir = raw_dir
        self._bus = bus
        self._me = bus.instance_id.encode()
        self._processing: set[asyncio.Task[None]] = set()

    async def active(self, room_id: str) -> RecordingRecord | None:
        """The room's recording in progress, if any."""
        recordings = await self._store.list_recordings(room_id)
        return next((r for r in recordings if r.status == "recording"), None)

    async def start(self, room_id: str, owner_id: str, sfu: SfuRoom) -> RecordingRecord:
        """Start recording the room; `conflict` when it is being recorded already. A Janus that
        refuses (or is gone) raises JanusError, and nothing is left recorded."""
        if await self.active(room_id) is not None:
            raise Conflict("this meeting is being recorded already", code="already_recording")
        recording = RecordingRecord(uuid.uuid4().hex, room_id, owner_id, datetime.now(UTC))
        raw = self.raw_dir / recording.id
        await asyncio.to_thread(raw.mkdir, parents=True, exist_ok=True)
        await self._store.create_recording(recording)
        try:
            await sfu.record(True, raw)
        except BaseException:
            await self._store.delete_recording(recording.id)
            await asyncio.to_thread(shutil.rmtree, raw, ignore_errors=True)
            raise
        log.info("recording %s of room %s started", recording.id, room_id)
        return recording

    async def stop(self, room_id: str, sfu: SfuRoom | None) -> RecordingRecord | None:
        """Stop the room's recording (None when there is none) and make its file in the
        background. `sfu` None: Janus stopped recording already: the Janus room is gone (the
        meeting ended, the room moved, its Janus died), or it stopped with the room's switch to
        the mesh."""
        recording = await self.active(room_id)
        if recording is None:
            return None
        if sfu is not None:
            try:
                await sfu.record(False)
            except JanusError as error:  # gone with its Janus: what was written is kept
                log.warning("stopping recording %s in Janus failed: %s", recording.id, error)
        await self._bus.set_meeting(MAKERS, recording.id, self._me)
        stopped = await self._store.update_recording(
            recording.id, RecordingChanges(status="processing", ended_at=datetime.now(UTC))
        )
        log.info("recording %s of room %s stopped", recording.id, room_id)
        if stopped is None:  # deleted meanwhile, with its room
            await self._bus.set_meeting(MAKERS, recording.id, None)
        else:
            self._make(stopped)
        return stopped

    async def maker(self, recording_id: str) -> bytes | None:
        """The id of the instance making the recording's file, if one is named."""
        return (await self._bus.meeting(MAKERS)).get(recording_id)

    async def take_over(self, recording: RecordingRecord, maker: bytes | None) -> bool:
        """Make the file of a `processing` recording whose maker (`maker`, as read) is gone,
        unless another instance takes it over first (compare-and-set): False then."""
        if not await self._bus.swap_meeting(MAKERS, recording.id, maker, self._me):
            return False
        log.info("recording %s: its file's maker is gone; making it here", recording.id)
        self._make(recording)
        return True

    def _make(self, recording: RecordingRecord) -> None:
        task = asyncio.create_task(self._process(recording), name=f"recording {recording.id}")
        self._processing.add(task)
        task.add_done_callback(self._processing.discard)

    async def processed(self) -> None:
        """Wait until every recording stopped so far has its file (or has failed)."""
        while self._processing:
            await asyncio.gather(*self._processing, return_exceptions=True)

    async def close(self) -> None:
        """Interrupt the processing still going on: its recordings stay `processing`, without a
        maker, for another instance (or this one's next start) to make."""
        for task in self._processing:
            task.cancel()
        await self.processed()

    async def _process(self, recording: RecordingRecord) -> None:
        recording_id = recording.id
        raw = self.raw_dir / recording_id
        work = raw / f"work-{uuid.uuid4().hex[:8]}"
        final = self.recordings_dir / file_name(recording_id)
        ended = recording.ended_at or datetime.now(UTC)
        recorded = (ended - recording.started_at).total_seconds()
        try:
            mixed = await mixdown(raw, work, work / f"mixed{FILE_EXTENSION}", recorded)
            await asyncio.to_thread(self.recordings_dir.mkdir, parents=True, exist_ok=True)
            await asyncio.to_thread(shutil.move, mixed.path, final)
            done = RecordingChanges(
                status="ready", file_name=final.name,
                size_bytes=mixed.size_bytes, duration_seconds=round(mixed.duration, 3),
            )  # fmt: skip
            if await self._store.update_recording(recording_id, done) is None:  # deleted
                await asyncio.to_thread(final.unlink, missing_ok=True)
            await asyncio.to_thread(shutil.rmtree, raw, ignore_errors=True)
            log.info("recording %s is ready: %.1f s", recording_id, mixed.duration)
        except asyncio.CancelledError:
            log.warning("recording %s: the server stopped while its file was made", recording_id)
            raise
        except MixdownError as error:
            await self._fail(recording_id, str(error))
        except Exception as error:
            log.exception("making the file of recording %s failed", recording_id)
            await self._fail(recording_id, f"the server failed: {error!r}")
        finally:
            with contextlib.suppress(Exception):  # the bus down: its maker is taken for dead
                await self._bus.swap_meeting(MAKERS, recording_id, self._me, None)

    async def _fail(self, recording_id: str, reason: str) -> None:
        """Record the failure, unless another instance has made the file meanwhile; the raw
        streams stay for an operator until the sweep."""
        log.warning("recording %s failed: %s", recording_id, reason)
        with contextlib.suppress(Exception):  # the store down too: it stays `processing`
            current = await self._store.get_recording(recording_id)
            if current is not None and current.status == "processing":
                await self._store.update_recording(
                    recording_id, RecordingChanges(status="failed", error=reason[:500])
                )
