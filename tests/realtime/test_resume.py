"""A participant whose socket drops keeps its place for the reconnect grace period, and its
client resumes it with the same participant id: on this server, or after a restart."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import InProcessServer, RunningServer, ServerFactory, User, WsClient
from tests.realtime.fixtures import CHROMIUM_OFFER

SHORT_GRACE = 0.5
MEDIA = {"audio": True, "video": True, "screen": False}


@dataclass
class InRoom:
    """One person in the room: the account, the socket and its `joined`."""

    user: User
    socket: WsClient
    joined: dict[str, Any]

    @property
    def id(self) -> str:
        participant_id: str = self.joined["participant_id"]
        return participant_id

    @property
    def code(self) -> str:
        code: str = self.joined["room"]["code"]
        return code


async def ann_and_bob(server: RunningServer) -> tuple[InRoom, InRoom]:
    """Ann and Bob (camera and microphone on) in a room of Ann's; Ann heard Bob join."""
    ann_user, bob_user = await server.register("Ann"), await server.register("Bob")
    room = await server.create_room(ann_user)
    a, b = await server.connect(ann_user), await server.connect(bob_user)
    ann = InRoom(ann_user, a, await a.join(room["code"], media=MEDIA))
    bob = InRoom(bob_user, b, await b.join(room["code"], media=MEDIA))
    await a.expect("participant-joined")
    return ann, bob


async def test_a_dropped_participant_is_reconnecting_then_resumes_with_its_id(
    server: RunningServer,
) -> None:
    ann, bob = await ann_and_bob(server)
    bob.socket.drop()
    reconnecting = await ann.socket.expect("participant-reconnecting")
    assert reconnecting == {
        "type": "participant-reconnecting", "participant_id": bob.id, "grace": 30.0
    }  # fmt: skip
    carl = await server.connect(await server.register("Carl"))
    listed = {p["id"]: p for p in (await carl.join(bob.code))["participants"]}
    assert listed[bob.id]["reconnecting"] is True
    assert listed[bob.id]["media"] == MEDIA
    await ann.socket.expect("participant-joined")  # Carl

    back = await server.connect(bob.user)
    joined = await back.join(bob.code, resume=bob.joined["resume"], media=MEDIA)
    assert joined["participant_id"] == bob.id
    for other in (ann.socket, carl):
        resumed = await other.expect("participant-resumed")
        assert resumed["participant"]["id"] == bob.id
        assert resumed["participant"]["reconnecting"] is False
        await other.nothing_more()  # neither left nor joined

    await ann.socket.send({"type": "signal", "to": bob.id, "kind": "offer", "sdp": CHROMIUM_OFFER})
    assert (await ann.socket.expect("ack"))["request"] == "signal"
    relayed = await back.expect("signal")
    assert (relayed["sender"], relayed["kind"]) == (ann.id, "offer")


async def test_a_participant_not_back_within_the_grace_period_leaves(
    start_server: ServerFactory,
) -> None:
    server = await start_server(reconnect_grace=SHORT_GRACE)
    ann, bob = await ann_and_bob(server)
    bob.socket.drop()
    assert (await ann.socket.expect("participant-reconnecting"))["grace"] == SHORT_GRACE
    left = await ann.socket.expect("participant-left", timeout=SHORT_GRACE + 5)
    assert left["participant_id"] == bob.id
    carl = await server.connect(await server.register("Carl"))
    assert bob.id not in {p["id"] for p in (await carl.join(bob.code))["participants"]}
    await ann.socket.expect("participant-joined")  # Carl
    # Bob's laptop wakes up later: his token no longer resumes (Ann heard him leave), so he comes
    # back as someone new, whom Ann is told joined.
    back = await server.connect(bob.user)
    joined = await back.join(bob.code, resume=bob.joined["resume"], media=MEDIA)
    assert joined["participant_id"] != bob.id
    assert (await ann.socket.expect("participant-joined"))["participant"]["id"] == joined[
        "participant_id"
    ]


async def test_a_client_that_closes_on_purpose_leaves_at_once(server: RunningServer) -> None:
    ann, bob = await ann_and_bob(server)
    await bob.socket.close()  # code 1000: the page left
    assert (await ann.socket.expect("participant-left"))["participant_id"] == bob.id


async def test_a_participant_removed_while_reconnecting_leaves_and_cannot_resume(
    server: RunningServer,
) -> None:
    ann, bob = await ann_and_bob(server)
    bob.socket.drop()
    await ann.socket.expect("participant-reconnecting")
    await ann.socket.send({"type": "moderate", "action": "remove", "participant_id": bob.id})
    assert (await ann.socket.expect("ack"))["request"] == "moderate"
    assert (await ann.socket.expect("participant-left"))["participant_id"] == bob.id

    back = await server.connect(bob.user)
    await back.send({"type": "join", "room": bob.code, "resume": bob.joined["resume"]})
    assert (await back.expect("waiting"))["reason"] == "removed"
    assert (await ann.socket.expect("lobby-request"))["entry"]["reason"] == "removed"


async def test_no_one_resumes_with_a_token_not_their_own(server: RunningServer) -> None:
    ann, bob = await ann_and_bob(server)
    bob.socket.drop()
    await ann.socket.expect("participant-reconnecting")

    mallory = await server.connect(await server.register("Mallory"))
    stolen = await mallory.join(bob.code, resume=bob.joined["resume"])  # Bob's token
    assert stolen["participant_id"] not in (bob.id, ann.id)
    joiner = await ann.socket.expect("participant-joined")
    assert joiner["participant"]["id"] == stolen["participant_id"]

    _, expiry, mac = bob.joined["resume"].split(".")
    for token in (f"{ann.id}.{expiry}.{mac}", f"{bob.id}.{expiry}.{mac[::-1]}", "garbage"):
        forger = await server.connect(bob.user)  # Bob, with an edited token: Ann's id, a bad MAC
        joined = await forger.join(bob.code, resume=token)
        assert joined["participant_id"] not in (bob.id, ann.id)
        joiner = await ann.socket.expect("participant-joined")
        assert joiner["participant"]["id"] == joined["participant_id"]
        await forger.close()
        await ann.socket.expect("participant-left")
    await ann.socket.nothing_more()  # Ann kept her socket and her id


async def test_clients_resume_their_ids_after_a_server_restart(
    start_server: ServerFactory, tmp_path: Path
) -> None:
    """The restarted server has no roster: the resume tokens alone give the ids back."""
    data = tmp_path / "restarting"
    server: InProcessServer = await start_server(data_dir=data)
    ann, bob = await ann_and_bob(server)
    await server.stop()
    assert await ann.socket.close_code() == 1012
    assert await bob.socket.close_code() == 1012

    restarted = await start_server(data_dir=data)
    a = await restarted.connect(ann.user)
    joined = await a.join(ann.code, resume=ann.joined["resume"], media=MEDIA)
    assert joined["participant_id"] == ann.id
    assert [p["id"] for p in joined["participants"]] == [ann.id]
    assert joined["participants"][0]["role"] == "host"
    b = await restarted.connect(bob.user)
    joined = await b.join(bob.code, resume=bob.joined["resume"], media=MEDIA, last_seq=0)
    assert joined["participant_id"] == bob.id
    assert {p["id"] for p in joined["participants"]} == {ann.id, bob.id}
    assert (await a.expect("participant-resumed"))["participant"]["id"] == bob.id
    sent = await b.chat("still here")
    assert (await a.expect("chat"))["message"] == sent
