"""The meeting, on one instance: roles, the lobby, the lock, host controls, hands, reactions."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import InProcessServer, RunningServer, ServerFactory
from tests.meeting_people import change_room, done, meeting, member_role, refused, waits

MODERATIONS = ("mute", "ask-unmute", "camera-off", "stop-screen", "lower-hand", "remove",
               "make-cohost", "revoke-cohost")  # fmt: skip
HOST_ACTIONS = [
    *({"type": "moderate", "action": action} for action in MODERATIONS),
    {"type": "admit"},
    {"type": "deny"},
    {"type": "lock", "locked": True},
    {"type": "end-meeting"},
]


def database(server: RunningServer) -> str:
    assert isinstance(server, InProcessServer)
    return server.settings.resolved_database_url


async def test_every_host_action_is_refused_to_others(server: RunningServer) -> None:
    m = await meeting(server)
    carl = await server.connect(await server.register("Carl"))
    carl_id = (await carl.join(m.room["code"]))["participant_id"]
    await m.ann.expect("participant-joined")
    await m.bob.expect("participant-joined")
    for action in HOST_ACTIONS:  # on another member (and on the host), or on the lobby
        request = {**action, "participant_id": carl_id} if "action" in action else action
        if action["type"] in ("admit", "deny"):
            request = {**action, "participant_id": carl_id}
        assert await refused(m.bob, request) == "forbidden", request
    mute_host = {"type": "moderate", "action": "mute", "participant_id": m.ann_id}
    assert await refused(m.bob, mute_host) == "forbidden"
    await m.ann.nothing_more()
    await carl.nothing_more()


async def test_co_hosts_act_on_members_only_and_only_the_owner_names_them(
    server: RunningServer,
) -> None:
    m = await meeting(server)
    carl_user = await server.register("Carl")
    carl = await server.connect(carl_user)
    carl_id = (await carl.join(m.room["code"]))["participant_id"]
    for client in (m.ann, m.bob):
        await client.expect("participant-joined")

    await done(m.ann, {"type": "moderate", "action": "make-cohost", "participant_id": m.bob_id})
    for client in (m.ann, m.bob, carl):
        updated = await client.expect("participant-updated")
        assert (updated["participant"]["id"], updated["participant"]["role"]) == (
            m.bob_id, "cohost"
        )  # fmt: skip
    assert await member_role(database(server), m.room["id"], m.member.id) == "cohost"

    for action in ("mute", "remove", "make-cohost"):
        request = {"type": "moderate", "action": action, "participant_id": m.ann_id}
        assert await refused(m.bob, request) == "forbidden"
    request = {"type": "moderate", "action": "make-cohost", "participant_id": carl_id}
    assert await refused(m.bob, request) == "forbidden"
    request = {"type": "moderate", "action": "mute", "participant_id": "nobody"}
    assert await refused(m.bob, request) == "unknown_participant"
    assert await refused(m.bob, {"type": "admit", "participant_id": "nobody"}) == (
        "unknown_participant"
    )
    await done(m.bob, {"type": "moderate", "action": "ask-unmute", "participant_id": carl_id})
    assert await carl.expect("moderated") == {
        "type": "moderated", "action": "ask-unmute", "by": m.bob_id
    }  # fmt: skip

    # The role is kept: Bob comes back a co-host.
    await m.bob.close()
    await m.ann.expect("participant-left")
    await carl.expect("participant-left")
    again = await server.connect(m.member)
    roster = (await again.join(m.room["code"]))["participants"]
    assert [p["role"] for p in roster if p["user_id"] == m.member.id] == ["cohost"]
    assert {p["user_id"]: p["role"] for p in roster}[m.owner.id] == "host"
    bob_id = (await m.ann.expect("participant-joined"))["participant"]["id"]
    await carl.expect("participant-joined")

    await done(m.ann, {"type": "moderate", "action": "revoke-cohost", "participant_id": bob_id})
    assert (await again.expect("participant-updated"))["participant"]["role"] == "member"
    assert await refused(again, {"type": "lock", "locked": True}) == "forbidden"
    assert await member_role(database(server), m.room["id"], m.member.id) == "member"


async def test_nothing_of_the_room_reaches_someone_waiting(server: RunningServer) -> None:
    owner, member = await server.register("Ann"), await server.register("Bob")
    invited = await server.register("Ivy")
    room = await server.create_room(owner)
    await change_room(database(server), room["id"], "everyone", {invited.id: "invited"})
    ann = await server.connect(owner)
    joined = await ann.join(room["code"])
    assert "lobby" not in joined and "locked" not in joined and joined["ticket"]  # defaults
    ann_id = joined["participant_id"]

    bob = await server.connect(member)
    waiting = await waits(bob, room["code"], media={"audio": True})
    assert waiting["reason"] == "lobby" and waiting["room"]["id"] == room["id"]
    bob_id = waiting["participant_id"]
    entry = (await ann.expect("lobby-request"))["entry"]
    assert (entry["id"], entry["user_id"], entry["display_name"], entry["guest"]) == (
        bob_id, member.id, "Bob", False
    )  # fmt: skip
    assert entry["reason"] == "lobby"

    # The room goes on: an invited member comes in, chats, types, signals, changes media.
    ivy = await server.connect(invited)
    ivy_joined = await ivy.join(room["code"])
    assert "lobby" not in ivy_joined  # not a host
    assert bob_id not in {p["id"] for p in ivy_joined["participants"]}
    await ann.expect("participant-joined")
    await ann.chat("hello Ivy")
    await ann.send({"type": "typing", "active": True})
    await ivy.expect("chat")
    await ivy.expect("typing")
    await done(ivy, {"type": "media", "audio": True, "video": False, "screen": False})
    await ann.expect("participant-updated")
    await done(ann, {"type": "react", "emoji": "🎉"})
    await done(ann, {"type": "hand", "raised": True})
    await ivy.expect("reaction")
    await ivy.expect("participant-updated")
    await bob.nothing_more()
    # Nor may the one waiting act in the room, nor reach anyone in it.
    for request in (
        {"type": "chat", "client_id": "c1", "text": "hi"},
        {"type": "signal", "to": ann_id, "kind": "candidate", "candidate": None},
        {"type": "react", "emoji": "👍"},
        {"type": "hand", "raised": True},
        {"type": "media", "audio": True, "video": True, "screen": False},
    ):
        assert await refused(bob, request) == "waiting"
    await ann.nothing_more()

    # A second tab of the host learns who waits.
    tab = await server.connect(owner)
    assert [e["id"] for e in (await tab.join(room["code"]))["lobby"]] == [bob_id]
    await ann.expect("participant-joined")
    await ivy.expect("participant-joined")

    left = {"type": "lobby-left", "participant_id": bob_id, "outcome": "admitted", "by": ann_id}
    assert await done(ann, {"type": "admit", "participant_id": bob_id}) == [left]
    assert await tab.expect("lobby-left") == left
    admitted = await bob.expect("admitted")
    assert admitted["room_id"] == room["id"]
    joined = await bob.join(room["code"], ticket=admitted["ticket"])
    assert [m["text"] for m in joined["messages"]] == ["hello Ivy"]
    for client in (ann, tab, ivy):
        assert (await client.expect("participant-joined"))["participant"]["user_id"] == member.id
    await ivy.nothing_more()


async def test_denied_and_gone_waiters(server: RunningServer) -> None:
    owner = await server.register("Ann")
    room = await server.create_room(owner)
    await change_room(database(server), room["id"], "everyone")
    ann = await server.connect(owner)
    ann_id = (await ann.join(room["code"]))["participant_id"]

    bob = await server.connect(await server.register("Bob"))
    bob_id = (await waits(bob, room["code"]))["participant_id"]
    await ann.expect("lobby-request")
    assert await done(ann, {"type": "deny", "participant_id": bob_id}) == [
        {"type": "lobby-left", "participant_id": bob_id, "outcome": "denied", "by": ann_id}
    ]
    assert await bob.close_code() == 4413
    assert bob.connection.close_reason == "denied"

    carl = await server.connect(await server.register("Carl"))
    carl_id = (await waits(carl, room["code"]))["participant_id"]
    await ann.expect("lobby-request")
    await carl.close()
    assert await ann.expect("lobby-left") == {
        "type": "lobby-left", "participant_id": carl_id, "outcome": "gone"
    }  # fmt: skip
    assert await refused(ann, {"type": "admit", "participant_id": carl_id}) == (
        "unknown_participant"
    )
    await ann.nothing_more()


async def test_a_removed_person_waits_until_a_host_lets_them_back(server: RunningServer) -> None:
    m = await meeting(server)
    bob_ticket_holder = await server.connect(m.member)  # a second tab of Bob's, outside

    await done(m.ann, {"type": "moderate", "action": "remove", "participant_id": m.bob_id})
    assert await m.bob.close_code() == 4412
    assert m.bob.connection.close_reason == "removed"
    assert (await m.ann.expect("participant-left"))["participant_id"] == m.bob_id

    # Back in through a new socket (even with a ticket of the meeting): the lobby, as removed.
    waiting = await waits(bob_ticket_holder, m.room["code"])
    assert waiting["reason"] == "removed"
    entry = (await m.ann.expect("lobby-request"))["entry"]
    assert (entry["id"], entry["reason"]) == (waiting["participant_id"], "removed")
    await bob_ticket_holder.nothing_more()

    left = await done(m.ann, {"type": "admit", "participant_id": waiting["participant_id"]})
    assert [message["type"] for message in left] == ["lobby-left"]
    ticket = (await bob_ticket_holder.expect("admitted"))["ticket"]
    await bob_ticket_holder.join(m.room["code"], ticket=ticket)
    await m.ann.expect("participant-joined")


async def test_a_removed_person_cannot_use_an_old_ticket(server: RunningServer) -> None:
    owner, member = await server.register("Ann"), await server.register("Bob")
    room = await server.create_room(owner)
    ann, bob = await server.connect(owner), await server.connect(member)
    await ann.join(room["code"])
    joined = await bob.join(room["code"])
    await ann.expect("participant-joined")
    removal = {"type": "moderate", "action": "remove", "participant_id": joined["participant_id"]}
    await done(ann, removal)
    assert await bob.close_code() == 4412
    await ann.expect("participant-left")
    again = await server.connect(member)
    assert (await waits(again, room["code"], ticket=joined["ticket"]))["reason"] == "removed"
    await ann.expect("lobby-request")


async def test_lock(server: RunningServer) -> None:
    m = await meeting(server)
    changed = {"type": "lock-changed", "locked": True, "by": m.ann_id}
    assert await done(m.ann, {"type": "lock", "locked": True}) == [changed]
    assert await m.bob.expect("lock-changed") == changed

    carl_user = await server.register("Carl")
    carl = await server.connect(carl_user)
    assert await refused(carl, {"type": "join", "room": m.room["code"]}) == "room_locked"
    host_tab = await server.connect(m.owner)
    joined = await host_tab.join(m.room["code"])
    assert joined["locked"] is True
    assert "lobby" not in joined
    for client in (m.ann, m.bob):
        await client.expect("participant-joined")

    await done(m.ann, {"type": "lock", "locked": False})
    await host_tab.expect("lock-changed")
    assert "locked" not in await carl.join(m.room["code"])


async def test_a_ticket_passes_the_lock(server: RunningServer) -> None:
    owner, member = await server.register("Ann"), await server.register("Bob")
    room = await server.create_room(owner)
    ann, bob = await server.connect(owner), await server.connect(member)
    ann_id = (await ann.join(room["code"]))["participant_id"]
    joined = await bob.join(room["code"])
    await ann.expect("participant-joined")
    await done(ann, {"type": "lock", "locked": True})
    await bob.expect("lock-changed")
    await bob.close()
    await ann.expect("participant-left")

    again = await server.connect(member)
    assert await refused(again, {"type": "join", "room": room["code"]}) == "room_locked"
    assert await refused(again, {"type": "join", "room": room["code"], "ticket": "1.x"}) == (
        "room_locked"
    )
    rejoined = await again.join(room["code"], ticket=joined["ticket"])
    assert rejoined["locked"] is True and ann_id in {p["id"] for p in rejoined["participants"]}


async def test_mute_camera_off_stop_screen_and_ask_to_unmute(server: RunningServer) -> None:
    m = await meeting(server)
    await done(m.bob, {"type": "media", "audio": True, "video": True, "screen": True})
    await m.ann.expect("participant-updated")
    media = {"audio": True, "video": True, "screen": True}
    for action, kind in (("mute", "audio"), ("camera-off", "video"), ("stop-screen", "screen")):
        await done(m.ann, {"type": "moderate", "action": action, "participant_id": m.bob_id})
        assert await m.bob.expect("moderated") == {
            "type": "moderated", "action": action, "by": m.ann_id
        }  # fmt: skip
        media[kind] = False
        for client in (m.bob, m.ann):
            updated = await client.expect("participant-updated")
            assert (updated["participant"]["id"], updated["participant"]["media"]) == (
                m.bob_id, media
            )  # fmt: skip

    await done(m.ann, {"type": "moderate", "action": "ask-unmute", "participant_id": m.bob_id})
    assert (await m.bob.expect("moderated"))["action"] == "ask-unmute"
    await m.bob.nothing_more()
    await m.ann.nothing_more()
    late = await server.connect(await server.register("Carl"))
    roster = {p["id"]: p for p in (await late.join(m.room["code"]))["participants"]}
    assert roster[m.bob_id]["media"] == media


async def test_end_meeting_closes_every_socket_and_clears_the_meeting(
    server: RunningServer,
) -> None:
    m = await meeting(server)
    await change_room(database(server), m.room["id"], "everyone")
    carl = await server.connect(await server.register("Carl"))
    await waits(carl, m.room["code"])
    await m.ann.expect("lobby-request")
    await done(m.ann, {"type": "lock", "locked": True})
    await m.bob.expect("lock-changed")

    await m.ann.send({"type": "end-meeting"})
    for client in (m.ann, m.bob, carl):
        assert await client.close_code() == 4410
        assert client.connection.close_reason == "meeting ended"

    ann = await server.connect(m.owner)
    joined = await ann.join(m.room["code"])
    assert "locked" not in joined and "lobby" not in joined
    assert [p["user_id"] for p in joined["participants"]] == [m.owner.id]


async def test_hands_go_up_in_order_and_come_down(server: RunningServer) -> None:
    m = await meeting(server)
    carl = await server.connect(await server.register("Carl"))
    carl_id = (await carl.join(m.room["code"]))["participant_id"]
    await m.ann.expect("participant-joined")
    await m.bob.expect("participant-joined")

    await done(carl, {"type": "hand", "raised": True})
    await asyncio.sleep(0.01)  # hands are ordered by the millisecond they went up
    await done(m.bob, {"type": "hand", "raised": True})
    await done(m.bob, {"type": "hand", "raised": True})  # already up: unchanged
    first = (await m.ann.expect("participant-updated"))["participant"]
    second = (await m.ann.expect("participant-updated"))["participant"]
    assert (first["id"], second["id"]) == (carl_id, m.bob_id)
    assert first["hand"] <= second["hand"]
    await m.ann.nothing_more()
    late = await server.connect(await server.register("Dan"))
    roster = (await late.join(m.room["code"]))["participants"]
    raised = sorted((p for p in roster if p["hand"] is not None), key=lambda p: p["hand"])
    assert [p["id"] for p in raised] == [carl_id, m.bob_id]

    assert (await carl.expect("participant-updated"))["participant"]["id"] == m.bob_id
    await carl.expect("participant-joined")  # Dan
    await m.ann.expect("participant-joined")  # Dan
    await done(m.ann, {"type": "moderate", "action": "lower-hand", "participant_id": carl_id})
    assert (await carl.expect("moderated"))["action"] == "lower-hand"
    assert (await carl.expect("participant-updated"))["participant"]["hand"] is None
    await done(m.bob, {"type": "hand", "raised": False})
    assert (await m.ann.expect("participant-updated"))["participant"]["hand"] is None  # Carl
    assert (await m.ann.expect("participant-updated"))["participant"]["hand"] is None  # Bob


@pytest.mark.parametrize("burst", [3])
async def test_reactions_reach_everyone_else_within_a_rate(
    start_server: ServerFactory, burst: int
) -> None:
    server = await start_server(reaction_rate=0.01, reaction_burst=burst)
    m = await meeting(server)
    for _ in range(burst):
        await done(m.bob, {"type": "react", "emoji": "👏"})
        assert await m.ann.expect("reaction") == {
            "type": "reaction", "participant_id": m.bob_id, "emoji": "👏"
        }  # fmt: skip
    assert await refused(m.bob, {"type": "react", "emoji": "👏"}) == "rate_limited"
    assert await refused(m.bob, {"type": "react", "emoji": "🍕"}) == "invalid_message"
    await m.ann.nothing_more()
    await m.bob.nothing_more()


async def test_host_actions_are_rate_limited(start_server: ServerFactory) -> None:
    server = await start_server(meeting_action_rate=0.01, meeting_action_burst=2)
    m = await meeting(server)
    await done(m.ann, {"type": "lock", "locked": True})
    await done(m.ann, {"type": "lock", "locked": False})
    assert await refused(m.ann, {"type": "lock", "locked": True}) == "rate_limited"


async def test_guests_wait_in_a_guests_lobby_are_marked_and_never_co_hosts(
    server: RunningServer,
) -> None:
    m = await meeting(server)  # Bob, a member, came in: lobby off
    await change_room(database(server), m.room["id"], "guests")
    guest = await server.guest(m.room["code"], "Gus")
    gus = await server.connect(guest)
    waiting = await waits(gus, m.room["code"])
    entry = (await m.ann.expect("lobby-request"))["entry"]
    assert (entry["id"], entry["user_id"], entry["guest"]) == (
        waiting["participant_id"], guest.id, True
    )  # fmt: skip
    carl = await server.connect(await server.register("Carl"))  # a member does not wait
    await carl.join(m.room["code"])
    await m.ann.expect("participant-joined")
    await m.bob.expect("participant-joined")
    await gus.nothing_more()

    await done(m.ann, {"type": "admit", "participant_id": waiting["participant_id"]})
    joined = await gus.join(m.room["code"], ticket=(await gus.expect("admitted"))["ticket"])
    me = {p["id"]: p for p in joined["participants"]}[joined["participant_id"]]
    assert (me["role"], me["user_id"], me["display_name"]) == ("guest", guest.id, "Gus")
    await m.ann.expect("participant-joined")
    message = await gus.chat("hello from a guest")
    assert message["sender_guest"] is True and message["sender_id"] == guest.id
    assert (await m.ann.expect("chat"))["message"]["sender_guest"] is True

    make = {"type": "moderate", "action": "make-cohost", "participant_id": joined["participant_id"]}
    assert await refused(m.ann, make) == "forbidden"
    assert await refused(gus, {"type": "lock", "locked": True}) == "forbidden"
