"""The storage contract (glimpse/store/base.py), one test body run unchanged on every backend."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from glimpse.store import (
    DuplicateError,
    MemberRecord,
    MessageRecord,
    NewMessage,
    RecordingChanges,
    RecordingRecord,
    RefreshTokenRecord,
    RoomChanges,
    RoomRecord,
    SessionUser,
    Store,
    UserRecord,
)
from tests.store.conftest import StoreFactory

T0 = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
"""Times keep their microseconds: every store must give back exactly what it was given."""


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def new_id() -> str:
    return uuid.uuid4().hex


async def add_user(store: Store, email: str | None = None, display_name: str = "Ada") -> UserRecord:
    user = UserRecord(
        id=new_id(),
        email=email or f"{new_id()}@example.org",
        display_name=display_name,
        password_hash="$argon2id$hash",
        created_at=T0,
    )
    await store.create_user(user)
    return user


async def add_room(store: Store, owner: UserRecord, created_at: datetime = T0) -> RoomRecord:
    room = RoomRecord(
        id=new_id(),
        code=new_id()[:10],
        name="Standup",
        owner_id=owner.id,
        password_hash=None,
        created_at=created_at,
    )
    await store.create_room(room)
    return room


def message(
    room: RoomRecord, client_id: str, sender: str = "alice", text: str = "hi", guest: bool = False
) -> NewMessage:
    return NewMessage(
        room_id=room.id,
        sender_id=sender,
        sender_name=sender.title(),
        client_id=client_id,
        text=text,
        created_at=at(1),
        sender_guest=guest,
    )


async def post(store: Store, room: RoomRecord, count: int) -> list[MessageRecord]:
    return [
        (await store.append_message(message(room, f"c{i}", text=f"#{i}")))[0] for i in range(count)
    ]


# Users


async def test_a_user_reads_back_as_created(store: Store) -> None:
    user = await add_user(store, "Ada.Lovelace@Example.org")

    assert await store.get_user(user.id) == user
    assert await store.get_user_by_email("Ada.Lovelace@Example.org") == user
    assert await store.get_user(new_id()) is None
    assert await store.get_user_by_email("nobody@example.org") is None


async def test_e_mail_is_found_and_unique_whatever_its_case(store: Store) -> None:
    user = await add_user(store, "Grace@Example.org")

    assert await store.get_user_by_email("grace@EXAMPLE.ORG") == user
    clash = UserRecord(new_id(), "GRACE@example.org", "Other", "$argon2id$other", T0)
    with pytest.raises(DuplicateError):
        await store.create_user(clash)
    assert await store.get_user(clash.id) is None


async def test_update_user_changes_only_what_is_given(store: Store) -> None:
    user = await add_user(store)

    renamed = await store.update_user(user.id, display_name="Countess")
    assert renamed == UserRecord(user.id, user.email, "Countess", user.password_hash, T0)
    rehashed = await store.update_user(user.id, password_hash="$argon2id$new")
    assert rehashed == UserRecord(user.id, user.email, "Countess", "$argon2id$new", T0)
    assert await store.get_user(user.id) == rehashed
    assert await store.update_user(new_id(), display_name="Ghost") is None


# Refresh tokens


async def add_token(store: Store, user: UserRecord, session_id: str) -> RefreshTokenRecord:
    token = RefreshTokenRecord(new_id(), session_id, user.id, expires_at=at(3600))
    await store.add_refresh_token(token)
    return token


async def test_using_a_refresh_token_returns_it_as_it_was_before(store: Store) -> None:
    user = await add_user(store)
    token = await add_token(store, user, "session-1")

    assert await store.use_refresh_token(token.token_hash, at(10)) == token
    reused = await store.use_refresh_token(token.token_hash, at(20))
    assert reused == RefreshTokenRecord(
        token.token_hash, "session-1", user.id, at(3600), used_at=at(10)
    )
    assert await store.use_refresh_token(new_id(), at(30)) is None


async def test_revoking_a_session_revokes_all_its_tokens_and_only_those(store: Store) -> None:
    user = await add_user(store)
    first, second = [await add_token(store, user, "session-a") for _ in range(2)]
    other = await add_token(store, user, "session-b")
    await store.use_refresh_token(first.token_hash, at(5))

    await store.revoke_session("session-a", at(10))
    await store.revoke_session("session-a", at(20))  # keeps the first revocation time

    assert await store.use_refresh_token(first.token_hash, at(30)) == RefreshTokenRecord(
        first.token_hash, "session-a", user.id, at(3600), used_at=at(5), revoked_at=at(10)
    )
    assert await store.use_refresh_token(second.token_hash, at(30)) == RefreshTokenRecord(
        second.token_hash, "session-a", user.id, at(3600), revoked_at=at(10)
    )
    assert await store.use_refresh_token(other.token_hash, at(30)) == other
    assert await store.session_revoked("session-a")
    assert not await store.session_revoked("session-b")
    assert not await store.session_revoked("session-never-seen")


async def test_a_session_and_its_user_are_read_together(store: Store) -> None:
    ann = await add_user(store)
    await add_token(store, ann, "ann-phone")
    await add_token(store, ann, "ann-laptop")
    await store.revoke_session("ann-laptop", at(10))

    assert await store.session_user("ann-phone", ann.id) == SessionUser(False, ann)
    assert await store.session_user("ann-laptop", ann.id) == SessionUser(True, ann)
    assert await store.session_user("never-seen", ann.id) == SessionUser(False, ann)
    assert await store.session_user("ann-laptop", "no-such-user") == SessionUser(True, None)
    assert await store.session_user("never-seen", "no-such-user") == SessionUser(False, None)


async def test_revoking_a_users_sessions_keeps_the_one_named_and_other_users(store: Store) -> None:
    ann, bob = await add_user(store), await add_user(store)
    kept = await add_token(store, ann, "ann-here")
    gone = [await add_token(store, ann, session) for session in ("ann-phone", "ann-laptop")]
    await store.revoke_session("ann-laptop", at(5))
    bobs = await add_token(store, bob, "bob-here")

    await store.revoke_user_sessions(ann.id, "ann-here", at(10))

    assert await store.use_refresh_token(gone[0].token_hash, at(30)) == RefreshTokenRecord(
        gone[0].token_hash, "ann-phone", ann.id, at(3600), revoked_at=at(10)
    )
    assert await store.use_refresh_token(gone[1].token_hash, at(30)) == RefreshTokenRecord(
        gone[1].token_hash, "ann-laptop", ann.id, at(3600), revoked_at=at(5)
    )  # revoked before: keeps its first revocation time
    assert await store.use_refresh_token(kept.token_hash, at(30)) == kept
    assert await store.use_refresh_token(bobs.token_hash, at(30)) == bobs
    assert [await store.session_revoked(s) for s in ("ann-phone", "ann-here", "bob-here")] == [
        True, False, False
    ]  # fmt: skip


async def test_a_token_used_at_once_by_several_instances_is_fresh_for_only_one(
    store: Store, connect_store: StoreFactory
) -> None:
    user = await add_user(store)
    token = await add_token(store, user, "session-race")
    instances = [store, *[await connect_store() for _ in range(3)]]

    results = await asyncio.gather(
        *(
            instance.use_refresh_token(token.token_hash, at(i))
            for i, instance in enumerate(instances)
        )
    )

    fresh = [result for result in results if result is not None and result.used_at is None]
    assert len(fresh) == 1
    assert all(result is not None and result.token_hash == token.token_hash for result in results)


# Rooms


async def test_a_room_reads_back_by_id_and_by_code(store: Store) -> None:
    owner = await add_user(store)
    room = RoomRecord(new_id(), new_id()[:10], "Retro", owner.id, "$argon2id$room", T0)
    await store.create_room(room)
    settings = RoomRecord(
        new_id(),
        new_id()[:10],
        "Board",
        owner.id,
        None,
        T0,
        allow_guests=False,
        lobby="everyone",
        media_mode="sfu",
    )
    await store.create_room(settings)

    assert (room.allow_guests, room.lobby, room.media_mode) == (True, "off", "auto")
    assert await store.get_room(room.id) == room
    assert await store.get_room_by_code(room.code) == room
    assert await store.get_room(settings.id) == settings
    assert await store.get_room_by_code(settings.code) == settings
    assert await store.get_room(new_id()) is None
    assert await store.get_room_by_code("no-such-code") is None


async def test_room_codes_are_unique(store: Store) -> None:
    owner = await add_user(store)
    room = await add_room(store, owner)

    clash = RoomRecord(new_id(), room.code, "Other", owner.id, None, T0)
    with pytest.raises(DuplicateError):
        await store.create_room(clash)
    assert await store.get_room(clash.id) is None


async def test_update_room_changes_only_what_is_given(store: Store) -> None:
    owner = await add_user(store)
    room = await add_room(store, owner)

    renamed = await store.update_room(room.id, RoomChanges(name="Planning"))
    assert renamed == RoomRecord(room.id, room.code, "Planning", owner.id, None, T0)
    locked = await store.update_room(
        room.id, RoomChanges(password_hash="$argon2id$pw", allow_guests=False, lobby="guests")
    )
    assert locked == RoomRecord(
        room.id, room.code, "Planning", owner.id, "$argon2id$pw", T0, False, "guests"
    )
    assert await store.get_room(room.id) == locked
    assert await store.update_room(room.id, RoomChanges()) == locked
    meshed = await store.update_room(room.id, RoomChanges(media_mode="mesh"))
    assert meshed == RoomRecord(
        room.id, room.code, "Planning", owner.id, "$argon2id$pw", T0, False, "guests", "mesh"
    )
    opened = await store.update_room(
        room.id, RoomChanges(remove_password=True, allow_guests=True, lobby="off")
    )
    assert opened == RoomRecord(
        room.id, room.code, "Planning", owner.id, None, T0, True, "off", "mesh"
    )
    assert await store.get_room_by_code(room.code) == opened
    assert await store.update_room(new_id(), RoomChanges(name="Nowhere")) is None
    assert await store.update_room(new_id(), RoomChanges()) is None


async def test_a_room_change_cannot_both_set_and_remove_the_password(store: Store) -> None:
    owner = await add_user(store)
    room = await add_room(store, owner)

    with pytest.raises(ValueError, match="password"):
        await store.update_room(room.id, RoomChanges(password_hash="$h", remove_password=True))
    assert await store.get_room(room.id) == room


async def test_owned_rooms_newest_first(store: Store) -> None:
    owner, stranger = await add_user(store), await add_user(store)
    rooms = [await add_room(store, owner, created_at=at(seconds)) for seconds in (5, 1, 9)]
    await add_room(store, stranger)

    assert await store.list_owned_rooms(owner.id) == [rooms[2], rooms[0], rooms[1]]
    assert await store.list_owned_rooms(new_id()) == []


async def test_recent_rooms_by_last_join(store: Store) -> None:
    owner, guest = await add_user(store), await add_user(store)
    first, second, third = [await add_room(store, owner) for _ in range(3)]
    assert await store.member_role(first.id, guest.id) is None

    await store.record_join(first.id, guest.id, at(1))
    await store.record_join(second.id, guest.id, at(2))
    await store.record_join(third.id, guest.id, at(3))
    await store.record_join(first.id, guest.id, at(4))  # joining again moves it to the front

    assert await store.list_recent_rooms(guest.id, 10) == [first, third, second]
    assert await store.list_recent_rooms(guest.id, 2) == [first, third]
    assert await store.list_recent_rooms(guest.id, 0) == []
    assert await store.member_role(first.id, guest.id) == "member"
    assert await store.member_role(first.id, owner.id) is None
    assert await store.list_recent_rooms(owner.id, 10) == []


async def test_a_member_keeps_their_role_when_joining_again(store: Store) -> None:
    owner, ann, bob = await add_user(store), await add_user(store), await add_user(store)
    room, other = await add_room(store, owner), await add_room(store, owner)
    await store.record_join(room.id, ann.id, at(1))
    await store.record_join(room.id, bob.id, at(1))
    await store.record_join(other.id, ann.id, at(1))

    assert await store.set_member_role(room.id, ann.id, "cohost")
    await store.record_join(room.id, ann.id, at(2))

    assert await store.member_role(room.id, ann.id) == "cohost"
    assert await store.member_role(room.id, bob.id) == "member"  # the room's other members
    assert await store.member_role(other.id, ann.id) == "member"  # and her other rooms: unchanged
    assert await store.set_member_role(room.id, ann.id, "member")
    assert await store.member_role(room.id, ann.id) == "member"


async def test_only_a_member_has_a_role_set(store: Store) -> None:
    owner, stranger = await add_user(store), await add_user(store)
    room = await add_room(store, owner)

    assert not await store.set_member_role(room.id, stranger.id, "cohost")
    assert not await store.set_member_role(new_id(), stranger.id, "cohost")
    assert await store.member_role(room.id, stranger.id) is None
    assert await store.list_members(room.id) == []


async def test_an_invited_user_is_a_member_who_has_not_joined(store: Store) -> None:
    owner, ann = await add_user(store), await add_user(store, display_name="Ann")
    room = await add_room(store, owner)

    assert await store.add_member(room.id, ann.id, "invited")

    assert await store.member_role(room.id, ann.id) == "invited"
    assert await store.list_members(room.id) == [MemberRecord(ann.id, "Ann", "invited", None)]
    assert await store.list_recent_rooms(ann.id, 10) == []  # invited, not joined
    assert not await store.add_member(room.id, ann.id, "cohost")  # a member already: unchanged
    assert await store.member_role(room.id, ann.id) == "invited"

    await store.record_join(room.id, ann.id, at(5))  # joining keeps the invitation's role

    assert await store.list_members(room.id) == [MemberRecord(ann.id, "Ann", "invited", at(5))]
    assert await store.list_recent_rooms(ann.id, 10) == [room]


async def test_adding_a_member_who_joined_before_changes_nothing(store: Store) -> None:
    owner, bob = await add_user(store), await add_user(store, display_name="Bob")
    room = await add_room(store, owner)
    await store.record_join(room.id, bob.id, at(3))

    assert not await store.add_member(room.id, bob.id, "cohost")

    assert await store.list_members(room.id) == [MemberRecord(bob.id, "Bob", "member", at(3))]


async def test_members_most_recently_joined_first_then_the_invited_by_name(store: Store) -> None:
    owner = await add_user(store)
    room, other = await add_room(store, owner), await add_room(store, owner)
    ann, bob, cy, dee, eve = [
        await add_user(store, display_name=name) for name in ("Ann", "Bob", "Cy", "Dee", "Eve")
    ]
    await store.record_join(room.id, ann.id, at(1))
    await store.record_join(room.id, bob.id, at(3))
    await store.add_member(room.id, eve.id, "invited")
    await store.add_member(room.id, dee.id, "cohost")
    await store.record_join(room.id, cy.id, at(2))
    await store.set_member_role(room.id, cy.id, "cohost")
    await store.record_join(other.id, eve.id, at(9))
    await store.update_user(ann.id, display_name="Annie")  # names are read from the users

    assert await store.list_members(room.id) == [
        MemberRecord(bob.id, "Bob", "member", at(3)),
        MemberRecord(cy.id, "Cy", "cohost", at(2)),
        MemberRecord(ann.id, "Annie", "member", at(1)),
        MemberRecord(dee.id, "Dee", "cohost", None),
        MemberRecord(eve.id, "Eve", "invited", None),
    ]
    assert await store.list_members(other.id) == [MemberRecord(eve.id, "Eve", "member", at(9))]
    assert await store.list_members(new_id()) == []


async def test_deleting_a_room_deletes_its_messages_and_memberships(store: Store) -> None:
    owner, guest = await add_user(store), await add_user(store)
    room, kept = await add_room(store, owner), await add_room(store, owner)
    for target in (room, kept):
        await store.record_join(target.id, guest.id, at(1))
        await store.add_member(target.id, owner.id, "invited")
        await post(store, target, 3)

    assert await store.delete_room(room.id)

    assert await store.get_room(room.id) is None
    assert await store.get_room_by_code(room.code) is None
    assert await store.list_messages(room.id) == []
    assert await store.messages_after(room.id, 0, 10) == []
    assert await store.member_role(room.id, guest.id) is None
    assert await store.list_members(room.id) == []
    assert len(await store.list_members(kept.id)) == 2
    assert await store.list_recent_rooms(guest.id, 10) == [kept]
    assert await store.list_owned_rooms(owner.id) == [kept]
    assert [record.seq for record in await store.list_messages(kept.id)] == [3, 2, 1]
    assert not await store.delete_room(room.id)


# Messages


async def test_messages_are_numbered_per_room_from_one(store: Store) -> None:
    owner = await add_user(store)
    room, other = await add_room(store, owner), await add_room(store, owner)

    record, created = await store.append_message(message(room, "c0", text="hello"))
    assert created
    assert record == MessageRecord(
        record.id, room.id, 1, "alice", "Alice", "c0", "hello", created_at=at(1)
    )
    assert [r.seq for r in await post(store, other, 2)] == [1, 2]
    second, _ = await store.append_message(message(room, "c1"))
    assert second.seq == 2
    assert await store.list_messages(room.id) == [second, record]


async def test_a_guests_message_says_so(store: Store) -> None:
    owner = await add_user(store)
    room = await add_room(store, owner)

    by_guest, _ = await store.append_message(message(room, "g0", sender="guest-1", guest=True))
    by_user, _ = await store.append_message(message(room, "u0"))

    assert (by_guest.sender_guest, by_user.sender_guest) == (True, False)
    assert await store.list_messages(room.id) == [by_user, by_guest]
    assert await store.messages_after(room.id, 0, 10) == [by_guest, by_user]
    retry, created = await store.append_message(message(room, "g0", sender="guest-1", guest=True))
    assert (retry, created) == (by_guest, False)


async def test_a_retried_message_is_stored_once(store: Store) -> None:
    owner = await add_user(store)
    room, other = await add_room(store, owner), await add_room(store, owner)
    original, _ = await store.append_message(message(room, "same", text="first try"))

    retry, created = await store.append_message(message(room, "same", text="second try"))

    assert (retry, created) == (original, False)
    by_bob, created_by_bob = await store.append_message(message(room, "same", sender="bob"))
    assert created_by_bob and by_bob.seq == 2
    in_other_room, created_elsewhere = await store.append_message(message(other, "same"))
    assert created_elsewhere and in_other_room.seq == 1
    assert [record.id for record in await store.list_messages(room.id)] == [by_bob.id, original.id]


async def test_history_pages_newest_first(store: Store) -> None:
    owner = await add_user(store)
    room = await add_room(store, owner)
    records = await post(store, room, 7)
    newest_first = records[::-1]

    assert await store.list_messages(room.id, limit=3) == newest_first[0:3]
    assert await store.list_messages(room.id, before_seq=5, limit=3) == newest_first[3:6]
    assert await store.list_messages(room.id, before_seq=2, limit=3) == newest_first[6:]
    assert await store.list_messages(room.id, before_seq=1) == []
    assert await store.list_messages(room.id, limit=0) == []
    assert await store.list_messages(room.id) == newest_first


async def test_messages_after_a_seq_oldest_first(store: Store) -> None:
    owner = await add_user(store)
    room = await add_room(store, owner)
    records = await post(store, room, 7)

    assert await store.messages_after(room.id, 4, 2) == records[4:6]
    assert await store.messages_after(room.id, 0, 100) == records
    assert await store.messages_after(room.id, 7, 10) == []
    assert await store.messages_after(room.id, 0, 0) == []


async def test_a_message_for_a_missing_room_is_refused(store: Store) -> None:
    ghost = RoomRecord(new_id(), "ghost", "Ghost", new_id(), None, T0)
    with pytest.raises(LookupError):
        await store.append_message(message(ghost, "c0"))
    assert await store.list_messages(ghost.id) == []


# Several server processes, each with its own Store, writing to one room at once

INSTANCES = 4
WRITERS_PER_INSTANCE = 3
MESSAGES_PER_WRITER = 5
SHARED_RETRIES = 8


async def test_concurrent_writers_get_unique_gap_free_seqs_and_retries_stay_idempotent(
    store: Store, connect_store: StoreFactory
) -> None:
    owner = await add_user(store)
    room = await add_room(store, owner)
    instances = [store, *[await connect_store() for _ in range(INSTANCES - 1)]]

    async def writer(instance: Store, name: str) -> list[tuple[MessageRecord, bool]]:
        return [
            await instance.append_message(message(room, f"{name}-{i}", sender=name))
            for i in range(MESSAGES_PER_WRITER)
        ]

    async def retries(instance: Store) -> list[tuple[MessageRecord, bool]]:
        """The same sends from one client, retried through every instance at once."""
        return list(
            await asyncio.gather(
                *(
                    instance.append_message(message(room, f"shared-{i}"))
                    for i in range(SHARED_RETRIES)
                )
            )
        )

    results = await asyncio.gather(
        *(
            writer(instance, f"w{index}-{n}")
            for index, instance in enumerate(instances)
            for n in range(WRITERS_PER_INSTANCE)
        ),
        *(retries(instance) for instance in instances),
    )

    total = INSTANCES * WRITERS_PER_INSTANCE * MESSAGES_PER_WRITER + SHARED_RETRIES
    stored = await store.messages_after(room.id, 0, total + 10)
    assert [record.seq for record in stored] == list(range(1, total + 1))
    assert Counter((r.sender_id, r.client_id) for r in stored).most_common(1)[0][1] == 1
    outcomes = [outcome for result in results for outcome in result]
    assert sorted((record for record, created in outcomes if created), key=seq) == stored
    for i in range(SHARED_RETRIES):
        answers = [record for record, _ in outcomes if record.client_id == f"shared-{i}"]
        assert len(answers) == INSTANCES and len(set(answers)) == 1


def seq(record: MessageRecord) -> int:
    return record.seq


# Recordings


def recording(room: RoomRecord, started_at: datetime = T0) -> RecordingRecord:
    return RecordingRecord(new_id(), room.id, room.owner_id, started_at)


async def test_a_recording_reads_back_as_created_and_changes_only_what_is_given(
    store: Store,
) -> None:
    room = await add_room(store, await add_user(store))
    started = recording(room)
    await store.create_recording(started)

    assert await store.get_recording(started.id) == started
    assert started.status == "recording" and started.ended_at is None
    processing = await store.update_recording(
        started.id, RecordingChanges(status="processing", ended_at=at(61))
    )
    assert processing == RecordingRecord(
        started.id, room.id, room.owner_id, T0, "processing", ended_at=at(61)
    )
    ready = await store.update_recording(
        started.id,
        RecordingChanges(
            status="ready", file_name="r.mp4", size_bytes=5_000_000_000, duration_seconds=60.48
        ),
    )
    assert ready == RecordingRecord(
        started.id, room.id, room.owner_id, T0, "ready", at(61), "r.mp4", 5_000_000_000, 60.48
    )
    assert await store.get_recording(started.id) == ready
    assert await store.update_recording(started.id, RecordingChanges()) == ready
    failed = await store.update_recording(
        started.id, RecordingChanges(status="failed", error="ffmpeg exited with 1")
    )
    assert failed is not None
    assert (failed.status, failed.error) == ("failed", "ffmpeg exited with 1")
    assert await store.update_recording(new_id(), RecordingChanges(status="ready")) is None
    assert await store.get_recording(new_id()) is None


async def test_a_recording_needs_its_room(store: Store) -> None:
    owner = await add_user(store)
    orphan = RecordingRecord(new_id(), new_id(), owner.id, T0)

    with pytest.raises(LookupError):
        await store.create_recording(orphan)
    assert await store.get_recording(orphan.id) is None


async def test_recordings_are_listed_per_room_newest_first(store: Store) -> None:
    owner = await add_user(store)
    room, other = await add_room(store, owner), await add_room(store, owner)
    first, second = recording(room, at(0)), recording(room, at(3600))
    elsewhere = recording(other, at(60))
    for record in (first, elsewhere, second):
        await store.create_recording(record)

    assert await store.list_recordings(room.id) == [second, first]
    assert await store.list_recordings(other.id) == [elsewhere]
    assert await store.list_recordings(new_id()) == []


async def test_recordings_started_before_a_time_come_oldest_first(store: Store) -> None:
    owner = await add_user(store)
    room, other = await add_room(store, owner), await add_room(store, owner)
    old, older, recent = recording(room, at(-60)), recording(other, at(-120)), recording(room)
    for record in (old, older, recent):
        await store.create_recording(record)

    ours = {old.id, older.id, recent.id}  # the database may hold other tests' recordings

    async def started_before(cutoff: datetime) -> list[RecordingRecord]:
        return [r for r in await store.recordings_started_before(cutoff) if r.id in ours]

    assert await started_before(T0) == [older, old]
    assert await started_before(at(-120)) == []


async def test_recordings_in_progress_are_those_recorded_or_being_made_oldest_first(
    store: Store,
) -> None:
    owner = await add_user(store)
    room, other = await add_room(store, owner), await add_room(store, owner)
    old, older, stopped = recording(room, at(-60)), recording(other, at(-120)), recording(room)
    made = recording(room, at(-90))
    for record in (old, older, stopped, made):
        await store.create_recording(record)
    being_made = await store.update_recording(stopped.id, RecordingChanges(status="processing"))
    await store.update_recording(made.id, RecordingChanges(status="ready"))

    ours = {old.id, older.id, stopped.id, made.id}  # the database may hold other tests' ones
    in_progress = [r for r in await store.recordings_in_progress() if r.id in ours]
    assert in_progress == [older, old, being_made]


async def test_deleting_a_recording_or_its_room_removes_the_record(store: Store) -> None:
    owner = await add_user(store)
    room, other = await add_room(store, owner), await add_room(store, owner)
    kept, deleted, with_room = recording(other), recording(room), recording(room)
    for record in (kept, deleted, with_room):
        await store.create_recording(record)
    kept_file, gone_file = f"{kept.id}.mp4", f"{with_room.id}.mp4"
    for record, name in ((kept, kept_file), (with_room, gone_file)):
        await store.update_recording(record.id, RecordingChanges(file_name=name))

    assert {kept_file, gone_file} <= await store.recording_files()
    assert await store.delete_recording(deleted.id)
    assert not await store.delete_recording(deleted.id)
    assert await store.delete_room(room.id)

    assert await store.get_recording(with_room.id) is None
    assert await store.list_recordings(room.id) == []
    assert [r.id for r in await store.list_recordings(other.id)] == [kept.id]
    files = await store.recording_files()
    assert kept_file in files and gone_file not in files
