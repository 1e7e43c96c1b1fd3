"""WebRTC signaling: relayed to one participant of the same room, with the sender's id."""

from __future__ import annotations

from tests.conftest import RunningServer

CANDIDATE = {
    "candidate": "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host",
    "sdpMid": "0",
    "sdpMLineIndex": 0,
    "usernameFragment": "abcd",
}


async def test_offer_answer_and_candidates_reach_only_the_addressee(server: RunningServer) -> None:
    users = [await server.register() for _ in range(3)]
    room = await server.create_room(users[0])
    a, b, c = [await server.connect(user) for user in users]
    ids = [(await client.join(room["code"]))["participant_id"] for client in (a, b, c)]
    for _ in range(2):
        await a.expect("participant-joined")
    await b.expect("participant-joined")

    await a.send({"type": "signal", "to": ids[1], "kind": "offer", "sdp": "v=0 offer", "ref": "o"})
    assert await a.expect("ack") == {"type": "ack", "request": "signal", "ref": "o"}
    assert await b.expect("signal") == {
        "type": "signal", "sender": ids[0], "kind": "offer", "sdp": "v=0 offer"
    }  # fmt: skip
    await b.send({"type": "signal", "to": ids[0], "kind": "answer", "sdp": "v=0 answer"})
    await b.expect("ack")
    assert (await a.expect("signal"))["sdp"] == "v=0 answer"
    await b.send({"type": "signal", "to": ids[0], "kind": "candidate", "candidate": CANDIDATE})
    await b.expect("ack")
    relayed = await a.expect("signal")
    assert (relayed["kind"], relayed["sender"], relayed["candidate"]) == (
        "candidate", ids[1], CANDIDATE
    )  # fmt: skip
    await b.send({"type": "signal", "to": ids[0], "kind": "candidate", "candidate": None})
    await b.expect("ack")
    assert "candidate" not in await a.expect("signal")  # end of candidates
    await c.nothing_more()


async def test_signals_outside_the_room_are_refused(server: RunningServer) -> None:
    users = [await server.register() for _ in range(3)]
    room1 = await server.create_room(users[0])
    room2 = await server.create_room(users[0])
    a, b, outsider = [await server.connect(user) for user in users]
    id_a = (await a.join(room1["code"]))["participant_id"]
    await b.join(room1["code"])
    id_outsider = (await outsider.join(room2["code"]))["participant_id"]
    await a.expect("participant-joined")

    for target in (id_outsider, id_a, "made-up"):
        await a.send({"type": "signal", "to": target, "kind": "offer", "sdp": "x", "ref": "s"})
        error = await a.expect("error")
        assert (error["code"], error["request"], error["ref"]) == (
            "unknown_participant", "signal", "s"
        )  # fmt: skip
    await outsider.send({"type": "signal", "to": id_a, "kind": "offer", "sdp": "x"})
    assert (await outsider.expect("error"))["code"] == "unknown_participant"
    await outsider.nothing_more()
    await b.nothing_more()
    await a.nothing_more()


async def test_malformed_signals_are_refused(server: RunningServer) -> None:
    ann, bob = await server.register(), await server.register()
    room = await server.create_room(ann)
    a, b = await server.connect(ann), await server.connect(bob)
    await a.join(room["code"])
    id_b = (await b.join(room["code"]))["participant_id"]
    await a.expect("participant-joined")
    for bad in (
        {"kind": "offer"},
        {"kind": "answer", "sdp": ""},
        {"kind": "candidate", "sdp": "v=0"},
        {"kind": "rollback", "sdp": "v=0"},
        {"kind": "candidate", "candidate": {"candidate": "x", "extra": 1}},
    ):
        await a.send({"type": "signal", "to": id_b, **bad})
        error = await a.expect("error")
        assert (error["code"], error["request"]) == ("invalid_message", "signal"), bad
    await b.nothing_more()
