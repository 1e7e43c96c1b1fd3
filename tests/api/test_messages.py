"""A room's chat history over HTTP: newest first, paged by cursor, members only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.conftest import RunningServer


async def test_history_pages_newest_first_by_cursor(server: RunningServer) -> None:
    owner = await server.register()
    room = await server.create_room(owner)
    client = await server.connect(owner)
    await client.join(room["id"])
    for number in range(1, 8):
        await client.chat(f"message {number}")

    url = f"/api/rooms/{room['id']}/messages"
    page = (await server.http.get(url, params={"limit": 3}, headers=owner.headers)).json()
    assert [m["seq"] for m in page["messages"]] == [7, 6, 5]
    assert [m["text"] for m in page["messages"]] == ["message 7", "message 6", "message 5"]
    assert page["next_before"] == 5
    page = (
        await server.http.get(url, params={"limit": 3, "before": 5}, headers=owner.headers)
    ).json()
    assert [m["seq"] for m in page["messages"]] == [4, 3, 2]
    page = (
        await server.http.get(url, params={"limit": 3, "before": 2}, headers=owner.headers)
    ).json()
    assert [m["seq"] for m in page["messages"]] == [1]
    assert page["next_before"] is None
    assert page["messages"][0]["sender_name"] == owner.name
    await client.close()


async def test_history_limit_is_at_most_100(server: RunningServer) -> None:
    owner = await server.register()
    room = await server.create_room(owner)
    url = f"/api/rooms/{room['id']}/messages"
    too_many = await server.http.get(url, params={"limit": 101}, headers=owner.headers)
    assert too_many.status_code == 422
    assert too_many.json()["error"]["code"] == "validation_error"
    zero = await server.http.get(url, params={"limit": 0}, headers=owner.headers)
    assert zero.status_code == 422


async def test_history_is_readable_only_by_members(server: RunningServer) -> None:
    owner = await server.register()
    member = await server.register()
    stranger = await server.register()
    room = await server.create_room(owner)
    url = f"/api/rooms/{room['id']}/messages"

    denied = await server.http.get(url, headers=stranger.headers)
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "not_a_member"

    client = await server.connect(member)
    await client.join(room["code"])
    await client.chat("hi")
    await client.close()
    allowed = await server.http.get(url, headers=member.headers)
    assert [m["text"] for m in allowed.json()["messages"]] == ["hi"]
    assert (await server.http.get(url, headers=owner.headers)).status_code == 200
    still_denied = await server.http.get(url, headers=stranger.headers)
    assert still_denied.status_code == 403

    unknown = await server.http.get("/api/rooms/nope/messages", headers=owner.headers)
    assert unknown.status_code == 404


async def test_a_message_reads_the_same_over_http_and_the_websocket(server: RunningServer) -> None:
    """The chat message has one shape on the wire: in the ack, in `joined` and in the history."""
    owner = await server.register()
    room = await server.create_room(owner)
    client = await server.connect(owner)
    await client.join(room["id"])
    acked = await client.chat("hello")
    await client.send({"type": "leave"})
    await client.expect("ack")
    joined = await client.join(room["id"])
    page = (
        await server.http.get(f"/api/rooms/{room['id']}/messages", headers=owner.headers)
    ).json()
    await client.close()

    def same_instant(message: dict[str, Any]) -> dict[str, Any]:
        return {**message, "created_at": datetime.fromisoformat(message["created_at"])}

    assert same_instant(page["messages"][0]) == same_instant(acked)
    assert same_instant(joined["messages"][0]) == same_instant(acked)
