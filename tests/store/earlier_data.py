"""Data stored by the Glimpse before room settings, member roles and guest senders, and what every
store must read from it now: the defaults (guests allowed, no lobby, media mode auto, role
"member", not a guest)."""

from __future__ import annotations

from datetime import UTC, datetime

from glimpse.store import MemberRecord, NewMessage, RoomRecord, Store

T0 = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
SQL_ROWS = (
    "INSERT INTO users (id, email, display_name, password_hash, created_at) VALUES"
    " ('u1', 'ann@example.org', 'Ann', 'hash', '2026-03-01T09:30:15.123456+00:00'),"
    " ('u2', 'bob@example.org', 'Bob', 'hash', '2026-03-01T09:30:15.123456+00:00')",
    "INSERT INTO rooms (id, code, name, owner_id, password_hash, created_at, last_seq)"
    " VALUES ('r1', 'code1', 'Standup', 'u1', NULL, '2026-03-01T09:30:15.123456+00:00', 1)",
    "INSERT INTO memberships (room_id, user_id, last_joined_at)"
    " VALUES ('r1', 'u2', '2026-03-01T09:30:15.123456+00:00')",
    "INSERT INTO messages (id, room_id, seq, sender_id, sender_name, client_id, text, created_at)"
    " VALUES ('m1', 'r1', 1, 'u2', 'Bob', 'c1', 'hi', '2026-03-01T09:30:15.123456+00:00')",
)
"""Ann's room, which Bob joined and said hi in, in the SQL schema of before (SQLite's version 2,
PostgreSQL's version 1)."""


async def check_read_with_defaults(store: Store) -> None:
    """The earlier data reads with the defaults, and takes the new fields from now on."""
    room = RoomRecord(
        "r1", "code1", "Standup", "u1", None, T0, allow_guests=True, lobby="off", media_mode="auto"
    )
    assert await store.get_room("r1") == room
    assert await store.member_role("r1", "u2") == "member"
    assert await store.list_members("r1") == [MemberRecord("u2", "Bob", "member", T0)]
    assert await store.list_recent_rooms("u2", 10) == [room]
    [hi] = await store.list_messages("r1")
    assert (hi.seq, hi.sender_id, hi.sender_guest) == (1, "u2", False)

    assert await store.add_member("r1", "u1", "invited")  # a member who never joined
    assert await store.set_member_role("r1", "u2", "cohost")
    reply, _ = await store.append_message(
        NewMessage("r1", "guest-1", "Cy", "c1", "hello", T0, sender_guest=True)
    )
    assert (reply.seq, reply.sender_guest) == (2, True)
    assert await store.list_members("r1") == [
        MemberRecord("u2", "Bob", "cohost", T0),
        MemberRecord("u1", "Ann", "invited", None),
    ]
    assert await store.delete_room("r1")
    assert await store.list_members("r1") == []
