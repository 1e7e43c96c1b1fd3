"""The recordings as their owner sees them: listed per room, downloaded, deleted.

A download needs the owner's access token, or a download link: the file's path with a ticket
(glimpse/meetings/tickets.py) over the recording and its owner that expires in a minute, so a
browser can fetch the file with a plain link (which carries no Authorization header) and save it
to disk as it arrives, without the page ever holding the file or a token in a URL that lasts.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from glimpse.errors import Conflict, Forbidden, NotFound
from glimpse.meetings.tickets import Tickets
from glimpse.store import RecordingRecord, RoomRecord, Store

DOWNLOAD_LINK_TTL: Final = 60
"""Seconds a download link is valid (enough to start the download; it then runs to its end)."""
DOWNLOAD_PURPOSE: Final = "download"


@dataclass(frozen=True, slots=True)
class Download:
    path: Path
    name: str
    """The name the browser saves it under: the room's name and when the recording started."""


def download_name(room: RoomRecord, recording: RecordingRecord) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", room.name).strip("-")[:60] or "recording"
    return f"{slug}-{recording.started_at:%Y-%m-%d-%H%M}{Path(recording.file_name or '').suffix}"


class RecordingLibrary:
    def __init__(self, store: Store, recordings_dir: Path, link_key: bytes) -> None:
        self._store = store
        self._recordings_dir = recordings_dir
        self._links = Tickets(link_key, DOWNLOAD_LINK_TTL)

    async def of_room(self, room: RoomRecord) -> list[RecordingRecord]:
        return await self._store.list_recordings(room.id)

    async def owned(self, recording_id: str, user_id: str) -> RecordingRecord:
        """The recording, if `user_id` owns it: 404 `recording_not_found`, 403 `not_room_owner`."""
        recording = await self._store.get_recording(recording_id)
        if recording is None:
            raise NotFound("no such recording", code="recording_not_found")
        if recording.owner_id != user_id:
            raise Forbidden("only the room's owner may do this", code="not_room_owner")
        return recording

    def download_link(self, recording: RecordingRecord) -> str:
        """A path that downloads the file for DOWNLOAD_LINK_TTL seconds, without a token."""
        ticket = self._links.issue(recording.id, recording.owner_id, DOWNLOAD_PURPOSE)
        return f"/api/recordings/{recording.id}/file?link={ticket}"

    async def linked(self, recording_id: str, ticket: str) -> RecordingRecord:
        """The recording a download link names; 403 `invalid_link` for a forged or old one."""
        recording = await self._store.get_recording(recording_id)
        if recording is None:
            raise NotFound("no such recording", code="recording_not_found")
        if not self._links.valid(ticket, recording.id, recording.owner_id, DOWNLOAD_PURPOSE):
            raise Forbidden("this download link is not valid (any more)", code="invalid_link")
        return recording

    async def download(self, recording: RecordingRecord) -> Download:
        """The file to send; 409 `recording_not_ready` while it is being made or has failed."""
        if recording.status != "ready" or recording.file_name is None:
            raise Conflict("this recording has no file (yet)", code="recording_not_ready")
        path = self._recordings_dir / recording.file_name
        room = await self._store.get_room(recording.room_id)
        if room is None or not await asyncio.to_thread(path.is_file):
            raise NotFound("this recording's file is gone", code="recording_not_found")
        return Download(path, download_name(room, recording))

    async def delete(self, recording: RecordingRecord) -> None:
        """Delete the file and the record; 409 `recording_in_progress` until it is ready or has
        failed."""
        if recording.status in ("recording", "processing"):
            raise Conflict(
                "stop the recording and let its file be made first", code="recording_in_progress"
            )
        await self._store.delete_recording(recording.id)
        if recording.file_name:
            path = self._recordings_dir / recording.file_name
            await asyncio.to_thread(path.unlink, missing_ok=True)
