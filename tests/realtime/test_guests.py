"""Guests on the WebSocket: authenticated with a guest credential, in the roster as guests, their
chat marked as a guest's (live and in the history), renewed with a new credential of theirs."""

from __future__ import annotations

from tests.conftest import RunningServer


async def test_a_guest_joins_chats_and_is_marked_as_a_guest(server: RunningServer) -> None:
    owner = await server.register("Olivia")
    room = await server.create_room(owner, "Standup")
    guest = await server.guest(room["code"], "Gus")

    host = await server.connect(owner)
    await host.join(room["code"])
    socket = await server.connect()
    await socket.send({"type": "auth", "token": guest.token, "ref": "a"})
    authenticated = await socket.expect("authenticated")
    assert authenticated["user_id"] == guest.id
    assert authenticated["display_name"] == "Gus"
    assert authenticated["guest"] is True
    assert 590 <= authenticated["expires_in"] <= 600

    joined = await socket.join(room["code"])
    me = next(p for p in joined["participants"] if p["id"] == joined["participant_id"])
    assert (me["user_id"], me["display_name"], me["role"]) == (guest.id, "Gus", "guest")
    heard = (await host.expect("participant-joined"))["participant"]
    assert (heard["user_id"], heard["role"]) == (guest.id, "guest")

    sent = await socket.chat("hello from a guest")
    assert (sent["sender_id"], sent["sender_name"], sent["sender_guest"]) == (guest.id, "Gus", True)
    assert (await host.expect("chat"))["message"] == sent
    mine = await host.chat("hello, guest")
    assert mine["sender_guest"] is False

    late = await server.connect(await server.register("Late"))
    history = (await late.join(room["code"]))["messages"]
    assert [(m["text"], m["sender_guest"]) for m in history] == [
        ("hello from a guest", True), ("hello, guest", False)
    ]  # fmt: skip
    page = await server.http.get(f"/api/rooms/{room['id']}/messages", headers=owner.headers)
    assert [(m["text"], m["sender_guest"]) for m in page.json()["messages"]] == [
        ("hello, guest", False), ("hello from a guest", True)
    ]  # fmt: skip
    members = await server.http.get(f"/api/rooms/{room['id']}/members", headers=owner.headers)
    assert guest.id not in {member["user_id"] for member in members.json()}  # never a member
    for client in (host, socket, late):
        await client.close()


async def test_a_guest_renews_on_its_socket_with_its_own_credential(server: RunningServer) -> None:
    owner = await server.register()
    room = await server.create_room(owner)
    guest = await server.guest(room["code"])
    other = await server.guest(room["code"])
    socket = await server.connect(guest)
    await socket.join(room["code"])

    renewed = await server.http.post("/api/guests/renew", headers=guest.headers)
    await socket.send({"type": "renew", "token": renewed.json()["token"], "ref": "r"})
    ack = await socket.expect("ack")
    assert (ack["request"], ack["ref"]) == ("renew", "r")
    for token in (other.token, owner.token):
        await socket.send({"type": "renew", "token": token, "ref": "x"})
        assert (await socket.expect("error"))["code"] == "wrong_user"
    await socket.chat("still here")
    await socket.close()


async def test_a_room_password_applies_to_guests(server: RunningServer) -> None:
    owner = await server.register()
    room = await server.create_room(owner, password="open sesame")
    socket = await server.connect(await server.guest(room["code"]))
    await socket.send({"type": "join", "room": room["code"]})
    assert (await socket.expect("error"))["code"] == "room_password_required"
    await socket.join(room["code"], password="open sesame")
    await socket.close()
