"""Recordings of a room's meetings: listed, downloaded and deleted by the room's owner."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import FileResponse

from glimpse.api.deps import AuthDep, CurrentUser, MaybeBearer, RecordingsDep, RoomsDep
from glimpse.api.schemas import DownloadLink, RecordingPublic
from glimpse.errors import Unauthorized
from glimpse.recordings.library import DOWNLOAD_LINK_TTL

router = APIRouter(tags=["recordings"])


@router.get("/rooms/{room_id}/recordings")
async def list_recordings(
    room_id: str, user: CurrentUser, rooms: RoomsDep, recordings: RecordingsDep
) -> list[RecordingPublic]:
    """The room's recordings, newest first; owner only."""
    room = await rooms.owned(room_id, user.id)
    return [RecordingPublic.model_validate(r) for r in await recordings.of_room(room)]


@router.post("/recordings/{recording_id}/link")
async def download_link(
    recording_id: str, user: CurrentUser, recordings: RecordingsDep
) -> DownloadLink:
    """A link that downloads the file without a token for a minute; owner only."""
    recording = await recordings.owned(recording_id, user.id)
    return DownloadLink(url=recordings.download_link(recording), expires_in=DOWNLOAD_LINK_TTL)


@router.get(
    "/recordings/{recording_id}/file",
    response_class=FileResponse,
    responses={200: {"content": {"video/mp4": {}}, "description": "The file, as an attachment"}},
)
async def download(
    recording_id: str,
    recordings: RecordingsDep,
    auth: AuthDep,
    credentials: MaybeBearer,
    link: Annotated[str | None, Query(description="A download link's ticket")] = None,
) -> FileResponse:
    """The recording's file, streamed: for the owner's access token, or a download link."""
    if link is not None:
        recording = await recordings.linked(recording_id, link)
    elif credentials is not None:
        user = await auth.user_for_claims(auth.tokens.verify(credentials.credentials))
        recording = await recordings.owned(recording_id, user.id)
    else:
        raise Unauthorized("sign in first: no access token", code="not_authenticated")
    download = await recordings.download(recording)
    return FileResponse(
        download.path,
        media_type="video/mp4",
        filename=download.name,
        content_disposition_type="attachment",
    )


@router.delete("/recordings/{recording_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_recording(recording_id: str, user: CurrentUser, recordings: RecordingsDep) -> None:
    """Delete the recording and its file; owner only, once it is ready or has failed."""
    await recordings.delete(await recordings.owned(recording_id, user.id))
