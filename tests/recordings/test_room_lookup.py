"""What the pre-join screen reads of a room tells whether its meeting is being recorded now, on
every instance of a cluster (the meeting's state on the bus), and only to those who may look the
room up."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from tests.conftest import RedisServer, RunningServer, ServerFactory, User
from tests.janus import Janus
from tests.recordings.test_record_meeting import record
from tests.sfu.conftest import janus_settings, sfu_room
from tests.sfu.peers import Publisher

pytestmark = pytest.mark.timeout(60)


async def recording_seen(server: RunningServer, user: User, room_id: str, code: str) -> set[bool]:
    """`recording` as the room by code, by id and its invite link say it."""
    answers = [
        await server.http.get(f"/api/rooms/by-code/{code}", headers=user.headers),
        await server.http.get(f"/api/rooms/{room_id}", headers=user.headers),
        await server.http.get(f"/api/invites/{code}"),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
    return {answer.json()["recording"] for answer in answers}


async def test_a_room_looked_up_on_another_instance_says_while_it_is_recorded(
    janus: Janus, start_server: ServerFactory, tmp_path: Path, redis_server: RedisServer
) -> None:
    shared = {
        "bus_url": redis_server.url,
        "database_url": f"sqlite:///{tmp_path / 'shared.db'}",
        "secret_key": secrets.token_urlsafe(48),
        **janus_settings(janus),
    }
    here, there = await start_server(**shared), await start_server(**shared)
    ann, bob = await here.register("Ann"), await there.register("Bob")
    room = await sfu_room(here, ann)
    assert await recording_seen(there, bob, room["id"], room["code"]) == {False}
    assert await there.services.hub.bus.meeting(room["id"]) == {}  # looking starts no meeting

    for refused in (f"/api/rooms/by-code/{room['code']}", f"/api/rooms/{room['id']}"):
        stranger = await there.http.get(refused)  # no access token
        assert stranger.status_code == 401
        assert stranger.json()["error"]["code"] == "not_authenticated"
        assert "recording" not in stranger.text

    a = await here.connect(ann)
    await a.join(room["code"], media={"audio": True, "video": True})
    camera = Publisher()
    try:
        await camera.publish(a)
        await record(a, True)
        assert await recording_seen(there, bob, room["id"], room["code"]) == {True}
        await record(a, False)
        assert await recording_seen(there, bob, room["id"], room["code"]) == {False}
    finally:
        await camera.close()
