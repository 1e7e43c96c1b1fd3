"""A room's settings (name, password, guests, lobby) and members, changed by its owner only."""

from __future__ import annotations

from typing import Any

from tests.conftest import RunningServer, ServerFactory, User


async def patch(server: RunningServer, room: dict[str, Any], user: User, **body: Any) -> Any:
    return await server.http.patch(f"/api/rooms/{room['id']}", json=body, headers=user.headers)


async def test_the_owner_changes_the_settings(server: RunningServer) -> None:
    owner, other = await server.register(), await server.register()
    room = await server.create_room(owner, "Old name")
    assert (room["allow_guests"], room["lobby"], room["media_mode"]) == (True, "off", "auto")

    denied = await patch(server, room, other, name="Hijacked", allow_guests=False)
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "not_room_owner"
    guest = await server.guest(room["code"])
    as_guest = await server.http.patch(
        f"/api/rooms/{room['id']}", json={"lobby": "everyone"}, headers=guest.headers
    )
    assert as_guest.status_code == 401

    response = await patch(server, room, owner, name=" New name ", allow_guests=False)
    assert response.status_code == 200, response.text
    changed = response.json()
    assert (changed["name"], changed["allow_guests"], changed["lobby"]) == (
        "New name", False, "off"
    )  # fmt: skip
    lobby = (await patch(server, room, owner, lobby="guests")).json()
    assert (lobby["name"], lobby["allow_guests"], lobby["lobby"]) == ("New name", False, "guests")
    meshed = (await patch(server, room, owner, media_mode="mesh")).json()
    assert (meshed["lobby"], meshed["media_mode"]) == ("guests", "mesh")
    read = await server.http.get(f"/api/rooms/{room['id']}", headers=other.headers)
    assert read.json() == {**meshed, "recording": False}

    for bad in [{"lobby": "sometimes"}, {"media_mode": "p2p"}, {"name": ""}, {"password": ""},
                {"password": "new secret", "remove_password": True}]:  # fmt: skip
        refused = await patch(server, room, owner, **bad)
        assert refused.status_code == 422, bad
    missing = await server.http.patch(
        "/api/rooms/nonexistent", json={"name": "x"}, headers=owner.headers
    )
    assert missing.status_code == 404


async def test_a_password_set_or_removed_applies_at_the_next_join(server: RunningServer) -> None:
    owner, bob = await server.register(), await server.register("Bob")
    room = await server.create_room(owner)
    assert (await patch(server, room, owner, password="open sesame")).json()["has_password"]

    socket = await server.connect(bob)
    await socket.send({"type": "join", "room": room["code"]})
    assert (await socket.expect("error"))["code"] == "room_password_required"
    await socket.send({"type": "join", "room": room["code"], "password": "wrong one"})
    assert (await socket.expect("error"))["code"] == "wrong_room_password"
    await socket.join(room["code"], password="open sesame")
    await socket.send({"type": "leave"})
    await socket.expect("ack")

    removed = (await patch(server, room, owner, remove_password=True)).json()
    assert removed["has_password"] is False
    await socket.join(room["code"])
    await socket.close()


async def test_the_owner_lists_members_sets_roles_and_invites(server: RunningServer) -> None:
    owner, bob, cleo = [await server.register(name) for name in ("Olivia", "Bob", "Cleo")]
    room = await server.create_room(owner)
    members_url = f"/api/rooms/{room['id']}/members"
    assert (await server.http.get(members_url, headers=owner.headers)).json() == []

    for user in (owner, bob):  # the owner joins too, and is not listed
        socket = await server.connect(user)
        await socket.join(room["code"])
        await socket.close()
    (member,) = (await server.http.get(members_url, headers=owner.headers)).json()
    assert (member["user_id"], member["display_name"], member["role"]) == (bob.id, "Bob", "member")
    assert member["last_joined_at"] is not None

    promoted = await server.http.put(
        f"{members_url}/{bob.id}", json={"role": "cohost"}, headers=owner.headers
    )
    assert promoted.status_code == 200, promoted.text
    assert (promoted.json()["user_id"], promoted.json()["role"]) == (bob.id, "cohost")
    for user_id in (cleo.id, owner.id, "nobody"):
        not_member = await server.http.put(
            f"{members_url}/{user_id}", json={"role": "cohost"}, headers=owner.headers
        )
        assert not_member.status_code == 404, user_id
        assert not_member.json()["error"]["code"] == "member_not_found"
    bad_role = await server.http.put(
        f"{members_url}/{bob.id}", json={"role": "host"}, headers=owner.headers
    )
    assert bad_role.status_code == 422

    invited = await server.http.post(
        members_url, json={"email": cleo.profile["email"].upper()}, headers=owner.headers
    )
    assert invited.status_code == 201, invited.text
    assert invited.json() == {
        "user_id": cleo.id, "display_name": "Cleo", "role": "invited", "last_joined_at": None
    }  # fmt: skip
    unknown = await server.http.post(
        members_url, json={"email": "nobody@example.org"}, headers=owner.headers
    )
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "user_not_found"
    listed = (await server.http.get(members_url, headers=owner.headers)).json()
    assert {(m["user_id"], m["role"]) for m in listed} == {(bob.id, "cohost"), (cleo.id, "invited")}

    for method, url, body in [
        ("GET", members_url, None),
        ("PUT", f"{members_url}/{cleo.id}", {"role": "cohost"}),
        ("POST", members_url, {"email": bob.profile["email"]}),
    ]:
        denied = await server.http.request(method, url, json=body, headers=bob.headers)
        assert denied.status_code == 403, (method, url)
        assert denied.json()["error"]["code"] == "not_room_owner"


async def test_new_passwords_and_member_invites_are_limited_per_owner(
    start_server: ServerFactory,
) -> None:
    server = await start_server(
        room_with_password_limit_per_user="1/hour", member_invite_limit_per_user="1/hour"
    )
    owner, bob = await server.register(), await server.register()
    room = await server.create_room(owner)
    assert (await patch(server, room, owner, password="first secret")).status_code == 200
    limited = await patch(server, room, owner, password="second secret")
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert (await patch(server, room, owner, name="Renamed")).status_code == 200  # no hash

    members_url = f"/api/rooms/{room['id']}/members"
    missing = await server.http.post(
        members_url, json={"email": "nobody@example.org"}, headers=owner.headers
    )
    assert missing.status_code == 404  # an answer about an e-mail counts all the same
    limited = await server.http.post(
        members_url, json={"email": bob.profile["email"]}, headers=owner.headers
    )
    assert limited.status_code == 429
