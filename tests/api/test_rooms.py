"""Rooms: create, find by id or code, list, rename and delete, with their authorization."""

from __future__ import annotations

import re
import sqlite3

from tests.conftest import RunningServer


async def test_create_and_find_a_room_by_id_and_by_code(server: RunningServer) -> None:
    owner = await server.register()
    room = await server.create_room(owner, "  Weekly sync ")
    assert room["name"] == "Weekly sync"
    assert room["owner_id"] == owner.id
    assert room["has_password"] is False
    assert re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", room["code"])
    assert room["invite_path"] == f"/r/{room['code']}"

    guest = await server.register()
    by_id = await server.http.get(f"/api/rooms/{room['id']}", headers=guest.headers)
    assert by_id.json() == {**room, "recording": False}  # looked up: with its meeting's state
    by_code = await server.http.get(
        f"/api/rooms/by-code/{room['code'].upper()}", headers=guest.headers
    )
    assert by_code.json() == {**room, "recording": False}
    missing = await server.http.get("/api/rooms/by-code/zzzz-zzzz-zzzz", headers=guest.headers)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "room_not_found"


async def test_room_routes_need_a_signed_in_user(server: RunningServer) -> None:
    response = await server.http.post("/api/rooms", json={"name": "x"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert (await server.http.get("/api/rooms")).status_code == 401


async def test_room_password_is_stored_hashed_and_reported(server: RunningServer) -> None:
    owner = await server.register()
    room = await server.create_room(owner, "Private", password="open sesame")
    assert room["has_password"] is True
    assert "password" not in room
    with sqlite3.connect(server.settings.data_dir / "glimpse.db") as db:
        (stored,) = db.execute(
            "SELECT password_hash FROM rooms WHERE id = ?", (room["id"],)
        ).fetchone()
    assert stored.startswith("$argon2id$")
    assert "open sesame" not in stored


async def test_list_owned_and_recent_rooms(server: RunningServer) -> None:
    owner = await server.register()
    first = await server.create_room(owner, "First")
    second = await server.create_room(owner, "Second")
    guest = await server.register()
    lists = (await server.http.get("/api/rooms", headers=owner.headers)).json()
    assert [room["id"] for room in lists["owned"]] == [second["id"], first["id"]]
    assert lists["recent"] == []

    client = await server.connect(guest)
    await client.join(first["code"])
    await client.send({"type": "leave"})
    await client.expect("ack")
    await client.join(second["id"])
    guest_lists = (await server.http.get("/api/rooms", headers=guest.headers)).json()
    assert guest_lists["owned"] == []
    assert [room["id"] for room in guest_lists["recent"]] == [second["id"], first["id"]]
    await client.close()


async def test_only_the_owner_renames_or_deletes(server: RunningServer) -> None:
    owner = await server.register()
    other = await server.register()
    room = await server.create_room(owner, "Old name")
    url = f"/api/rooms/{room['id']}"

    denied = await server.http.patch(url, json={"name": "Hijacked"}, headers=other.headers)
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "not_room_owner"
    assert (await server.http.delete(url, headers=other.headers)).status_code == 403

    renamed = await server.http.patch(url, json={"name": "New name"}, headers=owner.headers)
    assert renamed.json()["name"] == "New name"
    assert (await server.http.get(url, headers=owner.headers)).json()["name"] == "New name"

    assert (await server.http.delete(url, headers=owner.headers)).status_code == 204
    gone = await server.http.get(url, headers=owner.headers)
    assert gone.status_code == 404
    assert (await server.http.delete(url, headers=owner.headers)).status_code == 404


async def test_deleting_a_room_disconnects_its_participants(server: RunningServer) -> None:
    owner = await server.register()
    guest = await server.register()
    room = await server.create_room(owner)
    client = await server.connect(guest)
    await client.join(room["code"])
    response = await server.http.delete(f"/api/rooms/{room['id']}", headers=owner.headers)
    assert response.status_code == 204
    closed = await client.expect("room-closed")
    assert closed["room_id"] == room["id"]
    assert await client.close_code() == 4404


async def test_room_name_is_validated(server: RunningServer) -> None:
    owner = await server.register()
    empty = await server.http.post("/api/rooms", json={"name": " "}, headers=owner.headers)
    assert empty.status_code == 422
    long = await server.http.post("/api/rooms", json={"name": "x" * 101}, headers=owner.headers)
    assert long.status_code == 422
    assert long.json()["error"]["code"] == "validation_error"
