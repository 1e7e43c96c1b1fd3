"""Participants connected to two different instances share one room through Redis."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from tests.cluster.conftest import Cluster
from tests.conftest import WsClient, wait_until
from tests.realtime.fixtures import CHROMIUM_ANSWER, CHROMIUM_CANDIDATES, CHROMIUM_OFFER
from tests.server_process import ServerProcess
from tests.tcp_relay import TcpRelay

DEPARTURE_DEADLINE = 30.0
"""The issue's promise: participants of a killed instance leave the others' rosters within 30 s."""


async def in_room(instance: ServerProcess, room: str, user_name: str) -> tuple[WsClient, str]:
    """A new user connected to `instance` and joined to `room`, with its participant id."""
    client, joined = await joining(instance, room, user_name)
    return client, joined["participant_id"]


async def joining(
    instance: ServerProcess, room: str, user_name: str
) -> tuple[WsClient, dict[str, Any]]:
    """A new user connected to `instance` and joined to `room`, with its `joined` message."""
    client = await instance.connect(await instance.register(user_name))
    return client, await client.join(room)


def roster_of(joined: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {participant["id"]: participant for participant in joined["participants"]}


async def test_roster_spans_instances(two: tuple[ServerProcess, ServerProcess]) -> None:
    a, b = two
    owner = await a.register("ann")
    room = (await a.create_room(owner))["code"]
    ann = await a.connect(owner)
    ann_id = (await ann.join(room))["participant_id"]

    bob, bob_id = await in_room(b, room, "bob")
    joined = await ann.expect("participant-joined")
    assert (joined["participant"]["id"], joined["participant"]["display_name"]) == (bob_id, "bob")

    carl, carl_id = await in_room(a, room, "carl")
    assert (await bob.expect("participant-joined"))["participant"]["id"] == carl_id
    await ann.expect("participant-joined")

    dave, joined = await joining(b, room, "dave")
    dave_id = joined["participant_id"]
    assert {id_: p["display_name"] for id_, p in roster_of(joined).items()} == {
        ann_id: "ann", bob_id: "bob", carl_id: "carl", dave_id: "dave"
    }  # fmt: skip
    for client in (ann, bob, carl):
        assert (await client.expect("participant-joined"))["participant"]["id"] == dave_id

    await bob.send({"type": "leave", "ref": "bye"})
    await bob.expect("ack")
    for client in (ann, carl, dave):
        assert await client.expect("participant-left") == {
            "type": "participant-left", "participant_id": bob_id
        }  # fmt: skip
    await carl.close()
    for client in (ann, dave):
        assert (await client.expect("participant-left"))["participant_id"] == carl_id


async def test_chat_keeps_each_senders_order_across_instances(
    two: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = two
    owner = await a.register("ann")
    room = await a.create_room(owner)
    ann = await a.connect(owner)
    await ann.join(room["code"])
    bob, _ = await in_room(b, room["code"], "bob")
    await ann.expect("participant-joined")

    count = 15  # within the chat burst (GLIMPSE_CHAT_BURST)
    for i in range(count):  # both write at once, without waiting for acks
        await ann.send({"type": "chat", "client_id": f"a{i}", "text": f"ann {i}"})
        await bob.send({"type": "chat", "client_id": f"b{i}", "text": f"bob {i}"})

    async def collect(client: WsClient) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
        acks, others = [], []
        while len(acks) < count or len(others) < count:
            message = await client.recv()
            if message["type"] == "ack":
                acks.append(message["message"])
            else:
                assert message["type"] == "chat", message
                others.append(message["message"])
        return acks, others

    (ann_acks, ann_heard), (bob_acks, bob_heard) = await asyncio.gather(collect(ann), collect(bob))
    assert [m["text"] for m in ann_heard] == [f"bob {i}" for i in range(count)]
    assert [m["text"] for m in bob_heard] == [f"ann {i}" for i in range(count)]
    assert ann_heard == bob_acks
    assert bob_heard == ann_acks
    seqs = sorted(int(str(m["seq"])) for m in ann_acks + bob_acks)
    assert seqs == list(range(1, 2 * count + 1))

    history = await a.http.get(
        f"/api/rooms/{room['id']}/messages", params={"limit": 100}, headers=owner.headers
    )
    assert sorted(m["seq"] for m in history.json()["messages"]) == seqs
    await ann.nothing_more()
    await bob.nothing_more()


async def test_a_retry_sent_to_the_other_instance_is_stored_once(
    two: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = two
    owner = await a.register("ann")
    room = await a.create_room(owner)
    bob, _ = await in_room(b, room["code"], "bob")
    ann = await a.connect(owner)
    await ann.join(room["code"])
    await bob.expect("participant-joined")

    client_id = str(uuid.uuid4())
    first = await ann.chat("hello once", client_id)
    assert (await bob.expect("chat"))["message"] == first

    await ann.close()  # ann reconnects through the other instance and retries
    assert (await bob.expect("participant-left"))["type"] == "participant-left"
    ann_again = await b.connect(owner)
    rejoined = await ann_again.join(room["code"], last_seq=0)
    assert rejoined["messages"] == [first]
    await bob.expect("participant-joined")
    retried = await ann_again.chat("hello once", client_id)
    assert retried == first
    await bob.nothing_more()

    history = await b.http.get(f"/api/rooms/{room['id']}/messages", headers=owner.headers)
    assert [m["id"] for m in history.json()["messages"]] == [first["id"]]


async def test_a_resume_through_the_other_instance_takes_over_the_lingering_participant(
    two: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = two
    owner = await a.register("ann")
    room = (await a.create_room(owner))["code"]
    lingering = await a.connect(owner)
    first = await lingering.join(room)
    ann_id = first["participant_id"]
    bob, bob_id = await in_room(b, room, "bob")
    await lingering.expect("participant-joined")

    ann = await b.connect(owner)  # the same user's client, reconnected through the other instance
    assert (await ann.join(room, resume=first["resume"]))["participant_id"] == ann_id
    assert await lingering.close_code() == 4409
    assert (await bob.expect("participant-resumed"))["participant"]["id"] == ann_id
    await bob.nothing_more()  # no departure from instance a

    _, joined = await joining(a, room, "carl")
    assert set(roster_of(joined)) == {bob_id, ann_id, joined["participant_id"]}


async def test_a_dropped_participant_resumes_on_the_other_instance_and_stays(
    cluster: Cluster,
) -> None:
    """Its first instance lets go of it: its grace period runs out there, and nothing leaves."""
    grace = "1"
    a, b = await asyncio.gather(
        cluster.start(GLIMPSE_RECONNECT_GRACE=grace), cluster.start(GLIMPSE_RECONNECT_GRACE=grace)
    )
    owner = await a.register("ann")
    room = (await a.create_room(owner))["code"]
    dropped = await a.connect(owner)
    first = await dropped.join(room)
    bob, _ = await in_room(b, room, "bob")
    await dropped.expect("participant-joined")

    dropped.drop()
    reconnecting = await bob.expect("participant-reconnecting")
    assert reconnecting["participant_id"] == first["participant_id"]
    ann = await b.connect(owner)
    assert (await ann.join(room, resume=first["resume"]))["participant_id"] == reconnecting[
        "participant_id"
    ]
    assert (await bob.expect("participant-resumed"))["participant"]["id"] == first["participant_id"]
    await bob.nothing_more(within=float(grace) + 2)  # instance a's grace period is over
    _, joined = await joining(a, room, "carl")
    assert first["participant_id"] in roster_of(joined)


async def test_participants_of_a_stopped_instance_resume_on_the_other(cluster: Cluster) -> None:
    """A deploy: the instance closes its sockets with 1012; its clients come back elsewhere."""
    a, b = await asyncio.gather(cluster.start(), cluster.start())
    owner = await a.register("ann")
    room = (await a.create_room(owner))["code"]
    restarting = await a.connect(owner)
    first = await restarting.join(room)
    bob, _ = await in_room(b, room, "bob")
    await restarting.expect("participant-joined")

    await a.stop()
    assert await restarting.close_code() == 1012
    assert (await bob.expect("participant-reconnecting"))["participant_id"] == first[
        "participant_id"
    ]
    ann = await b.connect(owner)
    joined = await ann.join(room, resume=first["resume"])
    assert joined["participant_id"] == first["participant_id"]
    assert first["participant_id"] in roster_of(joined)
    assert (await bob.expect("participant-resumed"))["participant"]["id"] == first["participant_id"]
    sent = await ann.chat("back through the other instance")
    assert (await bob.expect("chat"))["message"] == sent


async def test_typing_media_and_signaling_cross_instances(
    two: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = two
    owner = await a.register("ann")
    room = (await a.create_room(owner))["code"]
    ann = await a.connect(owner)
    ann_id = (await ann.join(room))["participant_id"]
    bob, bob_id = await in_room(b, room, "bob")
    await ann.expect("participant-joined")

    await ann.send({"type": "typing", "active": True})
    assert await bob.expect("typing") == {
        "type": "typing", "participant_id": ann_id, "active": True
    }  # fmt: skip

    await bob.send({"type": "media", "audio": False, "video": True, "screen": True, "ref": "m"})
    await bob.expect("ack")
    updated = (await ann.expect("participant-updated"))["participant"]
    assert (updated["id"], updated["media"]) == (
        bob_id, {"audio": False, "video": True, "screen": True}
    )  # fmt: skip
    late, joined = await joining(a, room, "carl")  # media state is in the roster of newcomers
    assert roster_of(joined)[bob_id]["media"] == updated["media"]
    await ann.expect("participant-joined")
    await bob.expect("participant-joined")
    await late.close()
    await ann.expect("participant-left")
    await bob.expect("participant-left")

    await ann.send({"type": "signal", "to": bob_id, "kind": "offer", "sdp": CHROMIUM_OFFER})
    await ann.expect("ack")
    assert await bob.expect("signal") == {
        "type": "signal", "sender": ann_id, "kind": "offer", "sdp": CHROMIUM_OFFER
    }  # fmt: skip
    await bob.send({"type": "signal", "to": ann_id, "kind": "answer", "sdp": CHROMIUM_ANSWER})
    await bob.expect("ack")
    assert (await ann.expect("signal"))["sdp"] == CHROMIUM_ANSWER
    candidate = CHROMIUM_CANDIDATES[0]
    await bob.send({"type": "signal", "to": ann_id, "kind": "candidate", "candidate": candidate})
    await bob.expect("ack")
    assert (await ann.expect("signal"))["candidate"] == candidate


async def test_signals_to_participants_outside_the_room_are_refused(
    two: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = two
    owner = await a.register("ann")
    room = (await a.create_room(owner))["code"]
    other_room = (await b.create_room(owner))["code"]
    ann = await a.connect(owner)
    await ann.join(room)
    _, outsider_id = await in_room(b, other_room, "eve")
    bob, bob_id = await in_room(b, room, "bob")
    await ann.expect("participant-joined")

    await bob.send({"type": "leave"})
    await bob.expect("ack")
    await ann.expect("participant-left")
    for target in (outsider_id, bob_id):
        await ann.send(
            {"type": "signal", "to": target, "kind": "offer", "sdp": CHROMIUM_OFFER, "ref": "s"}
        )
        error = await ann.expect("error")
        assert (error["code"], error["ref"]) == ("unknown_participant", "s")
    await bob.nothing_more()


async def test_nobody_gets_an_event_twice(two: tuple[ServerProcess, ServerProcess]) -> None:
    a, b = two
    owner = await a.register("ann")
    room = (await a.create_room(owner))["code"]
    ann = await a.connect(owner)
    await ann.join(room)
    carl, carl_id = await in_room(a, room, "carl")
    bob, _ = await in_room(b, room, "bob")
    dave, _ = await in_room(b, room, "dave")
    for client, joins in ((ann, 3), (carl, 2), (bob, 1)):
        for _ in range(joins):
            await client.expect("participant-joined")

    sent = await ann.chat("once each")
    for client in (carl, bob, dave):
        assert (await client.expect("chat"))["message"] == sent
    await carl.send({"type": "typing", "active": True})
    for client in (ann, bob, dave):
        assert (await client.expect("typing"))["participant_id"] == carl_id
    for client in (ann, carl, bob, dave):
        await client.nothing_more()


async def test_participants_of_a_killed_instance_leave(cluster: Cluster) -> None:
    a, b = await asyncio.gather(cluster.start(), cluster.start())
    owner = await a.register("ann")
    room = (await a.create_room(owner))["code"]
    ann = await a.connect(owner)
    await ann.join(room)
    _, bob_id = await in_room(b, room, "bob")
    await ann.expect("participant-joined")

    await b.kill()
    left = await ann.expect("participant-left", timeout=DEPARTURE_DEADLINE)
    assert left["participant_id"] == bob_id
    await ann.nothing_more()
    carl = await a.connect(await a.register("carl"))
    roster = (await carl.join(room))["participants"]
    assert bob_id not in {p["id"] for p in roster}

    c = await cluster.start()  # a new instance sees the room without the dead one's participants
    _, joined = await joining(c, room, "dave")
    assert bob_id not in roster_of(joined)
    assert len(roster_of(joined)) == 3
    await ann.expect("participant-joined")


async def test_redis_restart_is_survived(
    two: tuple[ServerProcess, ServerProcess], cluster: Cluster
) -> None:
    a, b = two
    owner = await a.register("ann")
    room = (await a.create_room(owner))["code"]
    ann = await a.connect(owner)
    ann_id = (await ann.join(room))["participant_id"]
    bob, bob_id = await in_room(b, room, "bob")
    carl, carl_id = await in_room(a, room, "carl")
    for client in (ann, bob, ann):
        await client.expect("participant-joined")

    await cluster.redis.stop()
    for instance in (a, b):
        await wait_until(lambda i=instance: unready(i), 10, "/readyz stayed 200")
        response = await instance.http.get("/readyz")
        assert (response.status_code, response.json()["error"]["code"]) == (
            503, "bus_unavailable"
        )  # fmt: skip
    await bob.send({"type": "typing", "active": True, "ref": "t"})
    error = await bob.expect("error")
    assert (error["code"], error["request"], error["ref"]) == ("unavailable", "typing", "t")
    await ann.send(
        {"type": "signal", "to": bob_id, "kind": "offer", "sdp": CHROMIUM_OFFER, "ref": "s"}
    )
    assert (await ann.expect("error"))["code"] == "unavailable"
    await ann.send({"type": "chat", "client_id": "outage", "text": "still there?", "ref": "c"})
    error = await ann.expect("error")  # stored, but not carried to the other instance
    assert (error["code"], error["request"], error["ref"]) == ("unavailable", "chat", "c")
    await carl.close()  # a departure during the outage reaches the other instance afterwards
    assert (await ann.expect("participant-left"))["participant_id"] == carl_id

    await cluster.redis.start()
    for instance in (a, b):
        await instance.wait_ready()
    left = await bob.expect("participant-left", timeout=DEPARTURE_DEADLINE)
    assert left["participant_id"] == carl_id
    retried = await ann.chat("still there?", client_id="outage")  # the client's retry
    assert retried["seq"] == 1
    assert (await bob.expect("chat"))["message"] == retried
    sent = await ann.chat("back again")
    assert (await bob.expect("chat"))["message"] == sent
    await bob.send({"type": "signal", "to": ann_id, "kind": "offer", "sdp": CHROMIUM_OFFER})
    await bob.expect("ack")
    assert (await ann.expect("signal"))["sender"] == bob_id

    c = await cluster.start()  # the new Redis holds the roster again: both re-registered
    _, joined = await joining(c, room, "dave")
    assert set(roster_of(joined)) == {ann_id, bob_id, joined["participant_id"]}
    await ann.expect("participant-joined")
    await bob.expect("participant-joined")
    await ann.nothing_more()


async def test_a_redis_connection_gone_silent_is_replaced(
    cluster: Cluster, redis_link: TcpRelay
) -> None:
    """A Redis host that vanishes sends no reset: instances must notice the silence themselves."""
    cluster.bus_url = redis_link.url(cluster.redis.url)
    a, b = await asyncio.gather(cluster.start(), cluster.start())
    owner = await a.register("ann")
    room = (await a.create_room(owner))["code"]
    ann = await a.connect(owner)
    await ann.join(room)
    bob, _ = await in_room(b, room, "bob")
    await ann.expect("participant-joined")

    redis_link.cut(silently=True)
    for instance in (a, b):
        await wait_until(lambda i=instance: unready(i), 30, "/readyz stayed 200")
    redis_link.restore()
    for instance in (a, b):
        await instance.wait_ready()
    sent = await ann.chat("over a new connection")
    assert (await bob.expect("chat"))["message"] == sent
    await bob.send({"type": "typing", "active": True})
    assert (await ann.expect("typing"))["active"] is True


async def test_an_instance_taken_for_dead_makes_its_clients_rejoin(
    cluster: Cluster, redis_link: TcpRelay
) -> None:
    """Cut off from Redis longer than the presence TTL, an instance is reaped though alive."""
    cluster.bus_url = redis_link.url(cluster.redis.url)
    a = await cluster.start()
    cluster.bus_url = cluster.redis.url
    b = await cluster.start()
    owner = await a.register("ann")
    room = (await a.create_room(owner))["code"]
    ann = await a.connect(owner)
    first = await ann.join(room)
    ann_id = first["participant_id"]
    bob, bob_id = await in_room(b, room, "bob")
    await ann.expect("participant-joined")

    redis_link.cut(silently=True)
    left = await bob.expect("participant-left", timeout=DEPARTURE_DEADLINE)
    assert left["participant_id"] == ann_id
    redis_link.restore()
    assert await ann.close_code(timeout=DEPARTURE_DEADLINE) == 1012  # reconnect and rejoin

    await a.wait_ready()
    ann = await a.connect(owner)
    joined = await ann.join(room, resume=first["resume"])
    assert set(roster_of(joined)) == {bob_id, ann_id}
    while (event := await bob.recv())["type"] != "participant-resumed":
        assert event == left or event["type"] == "participant-reconnecting"  # the closed socket's
    assert event["participant"]["id"] == ann_id
    sent = await ann.chat("back in the room")
    assert (await bob.expect("chat"))["message"] == sent


async def unready(instance: ServerProcess) -> bool:
    return not await instance.ready()
