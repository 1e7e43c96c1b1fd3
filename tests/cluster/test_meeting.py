"""The meeting across two instances on Redis: the hosts on one, the people they act on on the
other; the lobby, the lock and the removed list are the meeting's wherever one connects."""

from __future__ import annotations

from tests.cluster.conftest import Cluster
from tests.meeting_people import change_room, done, meeting, member_role, refused, waits
from tests.server_process import ServerProcess


async def test_host_actions_are_refused_to_others_on_either_instance(
    two: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = two
    m = await meeting(a, b)
    for request in (
        {"type": "moderate", "action": "mute", "participant_id": m.ann_id},
        {"type": "moderate", "action": "remove", "participant_id": m.ann_id},
        {"type": "moderate", "action": "make-cohost", "participant_id": m.bob_id},
        {"type": "admit", "participant_id": m.ann_id},
        {"type": "deny", "participant_id": m.ann_id},
        {"type": "lock", "locked": True},
        {"type": "end-meeting"},
    ):
        assert await refused(m.bob, request) == "forbidden", request
    await m.ann.nothing_more()


async def test_lobby_admit_deny_and_silence_across_instances(
    cluster: Cluster, two: tuple[ServerProcess, ServerProcess]
) -> None:
    a, b = two
    m = await meeting(a, b)
    await change_room(cluster.database_url, m.room["id"], "everyone")

    carl = await b.connect(await b.register("Carl"))
    carl_id = (await waits(carl, m.room["code"]))["participant_id"]
    assert (await m.ann.expect("lobby-request"))["entry"]["id"] == carl_id
    await m.ann.chat("carl cannot read this")
    await m.bob.expect("chat")
    await done(m.bob, {"type": "media", "audio": False, "video": True, "screen": False})
    await m.ann.expect("participant-updated")
    await carl.nothing_more()
    await m.bob.nothing_more()  # not a host: no lobby news

    # A host who joins on the other instance sees who waits.
    tab = await b.connect(m.owner)
    assert [entry["id"] for entry in (await tab.join(m.room["code"]))["lobby"]] == [carl_id]
    await m.ann.expect("participant-joined")
    await m.bob.expect("participant-joined")

    await done(m.ann, {"type": "admit", "participant_id": carl_id})
    assert (await tab.expect("lobby-left"))["outcome"] == "admitted"
    joined = await carl.join(m.room["code"], ticket=(await carl.expect("admitted"))["ticket"])
    assert [message["text"] for message in joined["messages"]] == ["carl cannot read this"]
    for client in (m.ann, m.bob, tab):
        assert (await client.expect("participant-joined"))["participant"]["id"] == (
            joined["participant_id"]
        )

    dan = await b.connect(await b.register("Dan"))
    dan_id = (await waits(dan, m.room["code"]))["participant_id"]
    await m.ann.expect("lobby-request")
    await tab.expect("lobby-request")
    await done(m.ann, {"type": "deny", "participant_id": dan_id})
    assert (await tab.expect("lobby-left"))["outcome"] == "denied"
    assert await dan.close_code() == 4413

    eve = await b.connect(await b.register("Eve"))
    eve_id = (await waits(eve, m.room["code"]))["participant_id"]
    await m.ann.expect("lobby-request")
    await tab.expect("lobby-request")
    await eve.close()
    assert await m.ann.expect("lobby-left") == {
        "type": "lobby-left", "participant_id": eve_id, "outcome": "gone"
    }  # fmt: skip
    await m.bob.nothing_more()


async def test_remove_mute_and_hands_across_instances(
    two: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = two
    m = await meeting(a, b)
    carl = await b.connect(await b.register("Carl"))
    carl_id = (await carl.join(m.room["code"]))["participant_id"]
    await m.ann.expect("participant-joined")
    await m.bob.expect("participant-joined")

    await done(m.ann, {"type": "moderate", "action": "mute", "participant_id": m.bob_id})
    assert await m.bob.expect("moderated") == {
        "type": "moderated", "action": "mute", "by": m.ann_id
    }  # fmt: skip
    for client in (m.bob, m.ann, carl):
        updated = (await client.expect("participant-updated"))["participant"]
        assert (updated["id"], updated["media"]["audio"], updated["media"]["video"]) == (
            m.bob_id, False, True
        )  # fmt: skip

    await done(carl, {"type": "hand", "raised": True})
    assert (await m.ann.expect("participant-updated"))["participant"]["hand"] is not None
    await m.bob.expect("participant-updated")
    await done(m.ann, {"type": "moderate", "action": "lower-hand", "participant_id": carl_id})
    assert (await carl.expect("moderated"))["action"] == "lower-hand"
    for client in (carl, m.ann, m.bob):
        assert (await client.expect("participant-updated"))["participant"]["hand"] is None

    await done(m.bob, {"type": "react", "emoji": "❤️"})
    for client in (m.ann, carl):
        assert await client.expect("reaction") == {
            "type": "reaction", "participant_id": m.bob_id, "emoji": "❤️"
        }  # fmt: skip

    await done(m.ann, {"type": "moderate", "action": "remove", "participant_id": m.bob_id})
    assert await m.bob.close_code() == 4412
    for client in (m.ann, carl):
        assert (await client.expect("participant-left"))["participant_id"] == m.bob_id

    again = await a.connect(m.member)  # back through the host's instance: waits, as removed
    waiting = await waits(again, m.room["code"])
    assert waiting["reason"] == "removed"
    assert (await m.ann.expect("lobby-request"))["entry"]["reason"] == "removed"
    await carl.nothing_more()


async def test_lock_co_hosts_and_end_across_instances(
    cluster: Cluster, two: tuple[ServerProcess, ServerProcess]
) -> None:
    a, b = two
    m = await meeting(a, b)
    await done(m.ann, {"type": "moderate", "action": "make-cohost", "participant_id": m.bob_id})
    for client in (m.bob, m.ann):
        assert (await client.expect("participant-updated"))["participant"]["role"] == "cohost"
    assert await member_role(cluster.database_url, m.room["id"], m.member.id) == "cohost"

    await done(m.bob, {"type": "lock", "locked": True})  # a co-host on the other instance
    assert (await m.ann.expect("lock-changed"))["by"] == m.bob_id
    carl = await a.connect(await a.register("Carl"))
    assert await refused(carl, {"type": "join", "room": m.room["code"]}) == "room_locked"
    await done(m.ann, {"type": "lock", "locked": False})
    await m.bob.expect("lock-changed")

    await change_room(cluster.database_url, m.room["id"], "everyone")
    carl_id = (await waits(carl, m.room["code"]))["participant_id"]
    await m.ann.expect("lobby-request")
    assert (await m.bob.expect("lobby-request"))["entry"]["id"] == carl_id
    await done(m.bob, {"type": "admit", "participant_id": carl_id})  # admitted from b, waits on a
    await m.ann.expect("lobby-left")
    await carl.join(m.room["code"], ticket=(await carl.expect("admitted"))["ticket"])
    await m.ann.expect("participant-joined")
    await m.bob.expect("participant-joined")

    dan = await b.connect(await b.register("Dan"))
    await waits(dan, m.room["code"])
    await m.bob.send({"type": "end-meeting"})
    for client in (m.ann, m.bob, carl, dan):
        assert await client.close_code() == 4410
