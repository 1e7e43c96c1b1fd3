"""What the meeting tests share: a host and a member in a room (on one instance or two), a room's
settings changed in its database, and the answers a client is expected to get."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from glimpse.store import LobbyMode, MemberRole, RoomChanges, open_store
from tests.conftest import RunningServer, User, WsClient


@dataclass
class Meeting:
    """Ann (the owner, host) and Bob (a member) in Ann's room; Ann has heard Bob join."""

    room: dict[str, Any]
    ann: WsClient
    bob: WsClient
    ann_id: str
    bob_id: str
    owner: User
    member: User


async def meeting(host_at: RunningServer, member_at: RunningServer | None = None) -> Meeting:
    """Ann connected to `host_at`, Bob to `member_at` (the same instance by default)."""
    member_at = member_at or host_at
    owner, member = await host_at.register("Ann"), await member_at.register("Bob")
    room = await host_at.create_room(owner, "Standup")
    ann, bob = await host_at.connect(owner), await member_at.connect(member)
    ann_id = (await ann.join(room["code"]))["participant_id"]
    bob_id = (await bob.join(room["code"], media={"audio": True, "video": True}))["participant_id"]
    await ann.expect("participant-joined")
    return Meeting(room, ann, bob, ann_id, bob_id, owner, member)


async def change_room(
    database_url: str,
    room_id: str,
    lobby: LobbyMode | None = None,
    roles: dict[str, MemberRole] | None = None,
) -> None:
    """Change a room's lobby setting and members' roles, straight in its database."""
    store = open_store(database_url)
    await store.connect()
    try:
        if lobby is not None:
            assert await store.update_room(room_id, RoomChanges(lobby=lobby)) is not None
        for user_id, role in (roles or {}).items():
            await store.record_join(room_id, user_id, datetime.now(UTC))
            assert await store.set_member_role(room_id, user_id, role)
    finally:
        await store.close()


async def member_role(database_url: str, room_id: str, user_id: str) -> MemberRole | None:
    store = open_store(database_url)
    await store.connect()
    try:
        return await store.member_role(room_id, user_id)
    finally:
        await store.close()


async def refused(client: WsClient, message: dict[str, Any]) -> str:
    """Send a request that must be refused; the error's code."""
    await client.send({**message, "ref": "r"})
    error = await client.expect("error")
    assert (error["request"], error["ref"]) == (message["type"], "r"), error
    code: str = error["code"]
    return code


async def done(client: WsClient, message: dict[str, Any]) -> list[dict[str, Any]]:
    """Send a request that must be acknowledged; what reached the sender before the ack (the
    effects of a host's action reach the host too, ahead of the ack)."""
    await client.send({**message, "ref": "ok"})
    before = []
    while (answer := await client.recv())["type"] != "ack":
        assert answer["type"] != "error", answer
        before.append(answer)
    assert (answer["request"], answer["ref"]) == (message["type"], "ok"), answer
    return before


async def waits(client: WsClient, room: str, **extra: Any) -> dict[str, Any]:
    """`join` that is held in the lobby: the `waiting` answer."""
    await client.send({"type": "join", "room": room, **extra})
    return await client.expect("waiting")
