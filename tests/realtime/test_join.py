"""Joining and leaving rooms: roster, history on join, tabs, passwords, limits."""

from __future__ import annotations

import pytest

from tests.conftest import RunningServer, ServerFactory
from tests.gate import Gate


async def test_joiner_gets_room_roster_history_and_id_and_others_hear_of_it(
    server: RunningServer,
) -> None:
    ann = await server.register("Ann")
    bob = await server.register("Bob")
    room = await server.create_room(ann, "Standup")
    a = await server.connect(ann)
    joined_a = await a.join(room["code"], media={"audio": True, "video": False, "screen": False})
    await a.chat("before Bob came")

    b = await server.connect(bob)
    joined_b = await b.join(room["id"], media={"audio": True, "video": True, "screen": False})
    assert joined_b["room"] == {
        "id": room["id"], "code": room["code"], "name": "Standup", "owner_id": ann.id
    }  # fmt: skip
    assert joined_b["participant_id"] != joined_a["participant_id"]
    roster = {p["id"]: p for p in joined_b["participants"]}
    assert roster[joined_a["participant_id"]]["display_name"] == "Ann"
    assert roster[joined_a["participant_id"]]["media"] == {
        "audio": True, "video": False, "screen": False
    }  # fmt: skip
    assert roster[joined_b["participant_id"]]["user_id"] == bob.id
    assert [m["text"] for m in joined_b["messages"]] == ["before Bob came"]
    assert joined_b["more_messages"] is False

    heard = await a.expect("participant-joined")
    assert heard["participant"] == roster[joined_b["participant_id"]]
    await b.nothing_more()


async def test_leave_and_dropped_socket_tell_the_others(server: RunningServer) -> None:
    users = [await server.register() for _ in range(3)]
    room = await server.create_room(users[0])
    clients = [await server.connect(user) for user in users]
    ids = []
    for index, client in enumerate(clients):
        ids.append((await client.join(room["code"]))["participant_id"])
        for earlier in clients[:index]:
            await earlier.expect("participant-joined")

    await clients[1].send({"type": "leave", "ref": "bye"})
    assert (await clients[1].expect("ack")) == {"type": "ack", "request": "leave", "ref": "bye"}
    for other in (clients[0], clients[2]):
        assert (await other.expect("participant-left"))["participant_id"] == ids[1]

    await clients[2].close()
    assert (await clients[0].expect("participant-left"))["participant_id"] == ids[2]

    newcomer = await server.connect(users[1])
    roster = (await newcomer.join(room["code"]))["participants"]
    assert {p["id"] for p in roster} - {ids[0]} == {
        p["id"] for p in roster if p["user_id"] == users[1].id
    }


async def test_one_user_in_two_tabs_is_two_participants(server: RunningServer) -> None:
    ann = await server.register()
    room = await server.create_room(ann)
    tab1 = await server.connect(ann)
    tab2 = await server.connect(ann)
    first = await tab1.join(room["code"])
    second = await tab2.join(room["code"])
    assert first["participant_id"] != second["participant_id"]
    assert [p["user_id"] for p in second["participants"]] == [ann.id, ann.id]
    assert (await tab1.expect("participant-joined"))["participant"]["id"] == second[
        "participant_id"
    ]
    message = await tab1.chat("from tab 1")
    assert (await tab2.expect("chat"))["message"] == message
    await tab2.close()
    assert (await tab1.expect("participant-left"))["participant_id"] == second["participant_id"]


async def test_room_password(server: RunningServer) -> None:
    owner = await server.register()
    guest = await server.register()
    room = await server.create_room(owner, password="let me in")
    client = await server.connect(guest)

    await client.send({"type": "join", "room": room["code"], "ref": "1"})
    error = await client.expect("error")
    assert (error["code"], error["request"], error["ref"]) == (
        "room_password_required",
        "join",
        "1",
    )
    await client.send({"type": "join", "room": room["code"], "password": "guess", "ref": "2"})
    error = await client.expect("error")
    assert (error["code"], error["ref"]) == ("wrong_room_password", "2")
    joined = await client.join(room["code"], password="let me in")
    assert joined["room"]["id"] == room["id"]


async def test_join_errors(start_server: ServerFactory) -> None:
    server = await start_server(max_room_participants=2)
    users = [await server.register() for _ in range(3)]
    room = await server.create_room(users[0])
    a, b, c = [await server.connect(user) for user in users]

    await a.send({"type": "join", "room": "no-such-room"})
    assert (await a.expect("error"))["code"] == "room_not_found"
    await a.join(room["code"])
    await a.send({"type": "join", "room": room["code"]})
    assert (await a.expect("error"))["code"] == "already_in_room"
    await b.join(room["code"])
    await c.send({"type": "join", "room": room["code"]})
    full = await c.expect("error")
    assert full["code"] == "room_full"
    assert "2 participants" in full["message"]

    for request in ({"type": "chat", "client_id": "x", "text": "hi"}, {"type": "leave"},
                    {"type": "typing", "active": True},
                    {"type": "media", "audio": True, "video": True, "screen": False}):  # fmt: skip
        await c.send(request)
        error = await c.expect("error")
        assert (error["code"], error["request"]) == ("not_in_room", request["type"])


async def test_rejoin_with_last_seq_gets_only_what_was_missed(start_server: ServerFactory) -> None:
    server = await start_server(join_history=3)
    ann = await server.register()
    bob = await server.register()
    room = await server.create_room(ann)
    a = await server.connect(ann)
    await a.join(room["code"])
    for number in range(1, 6):
        await a.chat(f"m{number}")

    b = await server.connect(bob)
    latest = await b.join(room["code"])
    assert [m["seq"] for m in latest["messages"]] == [3, 4, 5]
    assert latest["more_messages"] is True
    await b.close()
    await a.expect("participant-joined")
    await a.expect("participant-left")

    for number in range(6, 8):
        await a.chat(f"m{number}")
    again = await server.connect(bob)
    caught_up = await again.join(room["code"], last_seq=5)
    assert [m["text"] for m in caught_up["messages"]] == ["m6", "m7"]
    assert caught_up["more_messages"] is False
    behind = await server.connect(bob)
    await again.close()
    far_behind = await behind.join(room["code"], last_seq=1)
    assert [m["seq"] for m in far_behind["messages"]] == [2, 3, 4]
    assert far_behind["more_messages"] is True


async def test_a_resume_takes_over_a_lingering_connection_at_once(
    server: RunningServer,
) -> None:
    ann, bob, mallory = await server.register(), await server.register(), await server.register()
    room = await server.create_room(ann)
    a = await server.connect(ann)
    await a.join(room["code"])
    old = await server.connect(bob)
    first = await old.join(room["code"])
    await a.expect("participant-joined")

    thief = await server.connect(mallory)  # Bob's token is worth nothing to someone else
    stolen = await thief.join(room["code"], resume=first["resume"])
    assert stolen["participant_id"] != first["participant_id"]
    assert (await a.expect("participant-joined"))["participant"]["user_id"] == mallory.id
    await a.nothing_more()

    # Bob's network blipped: his old socket is still open, his client reconnects on a new one.
    new = await server.connect(bob)
    joined = await new.join(room["code"], resume=first["resume"])
    assert joined["participant_id"] == first["participant_id"]
    assert await old.close_code() == 4409
    resumed = await a.expect("participant-resumed")
    assert resumed["participant"]["id"] == first["participant_id"]
    await a.nothing_more()  # no participant-left, no participant-joined


async def test_a_resume_into_a_full_room_takes_its_own_place_back(
    start_server: ServerFactory,
) -> None:
    server = await start_server(max_room_participants=2)
    ann, bob = await server.register(), await server.register()
    room = await server.create_room(ann)
    a = await server.connect(ann)
    await a.join(room["code"])
    old = await server.connect(bob)
    first = await old.join(room["code"])
    await a.expect("participant-joined")

    new = await server.connect(bob)
    await new.send({"type": "join", "room": room["code"]})  # without `resume`: a third one
    assert (await new.expect("error"))["code"] == "room_full"
    joined = await new.join(room["code"], resume=first["resume"])
    assert sorted(p["id"] for p in joined["participants"]) == sorted(
        p["id"] for p in first["participants"]
    )
    assert (await a.expect("participant-resumed"))["participant"]["id"] == first["participant_id"]
    assert await old.close_code() == 4409


async def test_room_events_reach_a_joiner_only_after_its_joined(
    start_server: ServerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Events of the room while a join is being answered wait for its `joined`."""
    server = await start_server()
    ann, bob = await server.register(), await server.register()
    room = await server.create_room(ann)
    a = await server.connect(ann)
    await a.join(room["code"])
    rooms = server.services.rooms
    gate = Gate()
    monkeypatch.setattr(rooms, "record_join", gate.hold(rooms.record_join))
    b = await server.connect(bob)
    await b.send({"type": "join", "room": room["code"]})
    try:
        await gate.reached()  # Bob is in the room's fan-out; his `joined` is not written yet
        await a.expect("participant-joined")
        sent = await a.chat("while you were joining")
    finally:
        gate.open()
    await b.expect("joined")
    assert (await b.expect("chat"))["message"] == sent
