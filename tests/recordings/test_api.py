"""The recordings' HTTP API: the room's owner lists, downloads and deletes; nobody else does."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from glimpse.recordings.recorder import file_name
from glimpse.store import RecordingChanges, RecordingRecord, Store, open_store
from tests.conftest import RunningServer

pytestmark = pytest.mark.timeout(30)
CONTENT = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 400  # 100 KB standing in for an MP4
STARTED = datetime(2026, 11, 30, 14, 5, tzinfo=UTC)


@pytest.fixture
async def server_store(server: RunningServer) -> AsyncIterator[Store]:
    """The server's own database, opened beside it (as another instance would)."""
    store = open_store(server.settings.resolved_database_url)
    await store.connect()
    yield store
    await store.close()


async def add_recording(
    server: RunningServer, store: Store, room: dict[str, Any], *, ready: bool = True
) -> str:
    recording = RecordingRecord(uuid.uuid4().hex, room["id"], room["owner_id"], STARTED)
    await store.create_recording(recording)
    if ready:
        folder = server.settings.resolved_recordings_dir
        folder.mkdir(parents=True, exist_ok=True)
        (folder / file_name(recording.id)).write_bytes(CONTENT)
        await store.update_recording(
            recording.id,
            RecordingChanges(
                status="ready", ended_at=STARTED + timedelta(minutes=1),
                file_name=file_name(recording.id), size_bytes=len(CONTENT), duration_seconds=60.2,
            ),
        )  # fmt: skip
    return recording.id


async def test_the_owner_lists_and_downloads_a_rooms_recordings(
    server: RunningServer, server_store: Store
) -> None:
    owner = await server.register("Olive")
    room = await server.create_room(owner, "Weekly sync!")
    done = await add_recording(server, server_store, room)
    running = await add_recording(server, server_store, room, ready=False)

    listed = await server.http.get(f"/api/rooms/{room['id']}/recordings", headers=owner.headers)
    assert listed.status_code == 200
    by_id = {r["id"]: r for r in listed.json()}
    assert by_id[done] == {
        "id": done, "room_id": room["id"], "started_at": "2026-11-30T14:05:00Z",
        "ended_at": "2026-11-30T14:06:00Z", "status": "ready", "duration_seconds": 60.2,
        "size_bytes": len(CONTENT), "error": None,
    }  # fmt: skip
    assert by_id[running]["status"] == "recording"

    file = await server.http.get(f"/api/recordings/{done}/file", headers=owner.headers)
    assert file.status_code == 200
    assert file.content == CONTENT
    assert file.headers["content-type"] == "video/mp4"
    assert file.headers["content-disposition"] == (
        'attachment; filename="Weekly-sync-2026-11-30-1405.mp4"'
    )
    not_ready = await server.http.get(f"/api/recordings/{running}/file", headers=owner.headers)
    assert not_ready.status_code == 409

    link = await server.http.post(f"/api/recordings/{done}/link", headers=owner.headers)
    assert link.status_code == 200 and link.json()["expires_in"] == 60
    by_link = await server.http.get(link.json()["url"])  # no Authorization: a plain link
    assert by_link.status_code == 200 and by_link.content == CONTENT
    forged = await server.http.get(f"/api/recordings/{done}/file?link=9999999999.forged")
    assert forged.status_code == 403
    other = await add_recording(server, server_store, room)
    elsewhere = link.json()["url"].replace(done, other)  # a link opens only its own recording
    assert (await server.http.get(elsewhere)).status_code == 403


async def test_nobody_else_lists_downloads_or_deletes(
    server: RunningServer, server_store: Store
) -> None:
    owner, intruder = await server.register(), await server.register()
    room = await server.create_room(owner)
    recording = await add_recording(server, server_store, room)

    listed = await server.http.get(f"/api/rooms/{room['id']}/recordings", headers=intruder.headers)
    assert listed.status_code == 403
    for method, path in (
        ("GET", f"/api/recordings/{recording}/file"),
        ("POST", f"/api/recordings/{recording}/link"),
        ("DELETE", f"/api/recordings/{recording}"),
    ):
        refused = await server.http.request(method, path, headers=intruder.headers)
        assert refused.status_code == 403, (method, path)
        assert refused.json()["error"]["code"] == "not_room_owner"
        anonymous = await server.http.request(method, path)
        assert anonymous.status_code == 401, (method, path)
    missing = await server.http.get(
        f"/api/recordings/{uuid.uuid4().hex}/file", headers=owner.headers
    )
    assert missing.status_code == 404
    assert await server_store.get_recording(recording) is not None


async def test_the_owner_deletes_a_finished_recording_and_its_file(
    server: RunningServer, server_store: Store
) -> None:
    owner = await server.register()
    room = await server.create_room(owner)
    done = await add_recording(server, server_store, room)
    running = await add_recording(server, server_store, room, ready=False)

    assert (
        await server.http.delete(f"/api/recordings/{running}", headers=owner.headers)
    ).status_code == 409
    deleted = await server.http.delete(f"/api/recordings/{done}", headers=owner.headers)
    assert deleted.status_code == 204
    assert not (server.settings.resolved_recordings_dir / file_name(done)).exists()
    listed = await server.http.get(f"/api/rooms/{room['id']}/recordings", headers=owner.headers)
    assert [r["id"] for r in listed.json()] == [running]
    gone = await server.http.get(f"/api/recordings/{done}/file", headers=owner.headers)
    assert gone.status_code == 404
