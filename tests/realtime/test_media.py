"""Media state: relayed to the room and kept in the participant list."""

from __future__ import annotations

from tests.conftest import RunningServer


async def test_media_state_is_relayed_and_kept_for_late_joiners(server: RunningServer) -> None:
    users = [await server.register() for _ in range(3)]
    room = await server.create_room(users[0])
    a, b = await server.connect(users[0]), await server.connect(users[1])
    id_a = (await a.join(room["code"], media={"audio": True, "video": True}))["participant_id"]
    await b.join(room["code"])
    await a.expect("participant-joined")

    await a.send({"type": "media", "audio": False, "video": True, "screen": True, "ref": "m"})
    assert await a.expect("ack") == {"type": "ack", "request": "media", "ref": "m"}
    updated = await b.expect("participant-updated")
    assert updated["participant"]["id"] == id_a
    assert updated["participant"]["media"] == {"audio": False, "video": True, "screen": True}

    late = await server.connect(users[2])
    roster = {p["id"]: p for p in (await late.join(room["code"]))["participants"]}
    assert roster[id_a]["media"] == {"audio": False, "video": True, "screen": True}
