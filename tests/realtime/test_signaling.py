"""WebRTC signaling: relayed to one participant of the same room, with the sender's id, once
checked; candidates capped per negotiation."""

from __future__ import annotations

from typing import Any

from tests.conftest import RunningServer, ServerFactory, WsClient
from tests.realtime.fixtures import (
    CHROMIUM_ANSWER,
    CHROMIUM_CANDIDATES,
    CHROMIUM_GATHERED,
    CHROMIUM_OFFER,
)

CANDIDATE = CHROMIUM_CANDIDATES[0]


async def three_in_a_room(server: RunningServer) -> tuple[WsClient, WsClient, WsClient, list[str]]:
    """Three participants joined in one room (the first two told of those after them), and their
    participant ids."""
    users = [await server.register() for _ in range(3)]
    room = await server.create_room(users[0])
    a, b, c = [await server.connect(user) for user in users]
    ids = [(await client.join(room["code"]))["participant_id"] for client in (a, b, c)]
    for _ in range(2):
        await a.expect("participant-joined")
    await b.expect("participant-joined")
    return a, b, c, ids


async def test_offer_answer_and_candidates_reach_only_the_addressee(server: RunningServer) -> None:
    a, b, c, ids = await three_in_a_room(server)

    await a.send(
        {"type": "signal", "to": ids[1], "kind": "offer", "sdp": CHROMIUM_OFFER, "ref": "o"}
    )
    assert await a.expect("ack") == {"type": "ack", "request": "signal", "ref": "o"}
    assert await b.expect("signal") == {
        "type": "signal", "sender": ids[0], "kind": "offer", "sdp": CHROMIUM_OFFER
    }  # fmt: skip
    await b.send({"type": "signal", "to": ids[0], "kind": "answer", "sdp": CHROMIUM_ANSWER})
    await b.expect("ack")
    assert (await a.expect("signal"))["sdp"] == CHROMIUM_ANSWER
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
        await a.send(
            {"type": "signal", "to": target, "kind": "offer", "sdp": CHROMIUM_OFFER, "ref": "s"}
        )
        error = await a.expect("error")
        assert (error["code"], error["request"], error["ref"]) == (
            "unknown_participant", "signal", "s"
        )  # fmt: skip
    await outsider.send({"type": "signal", "to": id_a, "kind": "offer", "sdp": CHROMIUM_OFFER})
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
        {"kind": "offer", "sdp": CHROMIUM_OFFER, "candidate": {"candidate": "x" * 13_000}},
    ):
        await a.send({"type": "signal", "to": id_b, **bad})
        error = await a.expect("error")
        assert (error["code"], error["request"]) == ("invalid_message", "signal"), bad
    await b.nothing_more()


async def test_handed_over_reaches_the_addressee_with_its_generation_alone(
    start_server: ServerFactory,
) -> None:
    server = await start_server(max_candidates_per_negotiation=1)
    a, b, c, ids = await three_in_a_room(server)
    handed_over = {"type": "signal", "to": ids[1], "kind": "handed-over", "generation": 2}

    refused = (
        ({"sdp": CHROMIUM_OFFER}, "handed-over carries neither `sdp` nor `candidate`"),
        ({"candidate": CANDIDATE}, "handed-over carries neither `sdp` nor `candidate`"),
        ({"generation": None}, "handed-over needs its `generation`"),
        ({"kind": "candidate"}, "`generation` is for handed-over, not candidate"),
    )
    for extra, message in refused:
        await a.send({**handed_over, **extra, "ref": "h"})
        error = await a.expect("error")
        assert (error["code"], error["request"], error["ref"]) == (
            "invalid_message", "signal", "h"
        )  # fmt: skip
        assert error["message"] == message
    await a.send({**handed_over, "to": "made-up"})
    assert (await a.expect("error"))["code"] == "unknown_participant"
    await b.nothing_more()

    assert (await offer(a, ids[1]))["type"] == "ack"
    assert await send_candidate(a, ids[1], CANDIDATE) == "ack"  # the one candidate allowed
    await a.send({**handed_over, "ref": "h"})
    assert await a.expect("ack") == {"type": "ack", "request": "signal", "ref": "h"}
    assert [(await b.expect("signal"))["kind"] for _ in range(2)] == ["offer", "candidate"]
    assert await b.expect("signal") == {
        "type": "signal", "sender": ids[0], "kind": "handed-over", "generation": 2
    }  # fmt: skip
    assert await send_candidate(a, ids[1], None) == "too_many_candidates"  # the count went on
    await b.send({**handed_over, "to": ids[0]})
    await b.expect("ack")
    assert await a.expect("signal") == {
        "type": "signal", "sender": ids[1], "kind": "handed-over", "generation": 2
    }  # fmt: skip
    await c.nothing_more()
    await b.nothing_more()


async def offer(sender: WsClient, to: str, sdp: str = CHROMIUM_OFFER) -> dict[str, Any]:
    """Send an offer and return the answer to it (an ack or an error)."""
    await sender.send({"type": "signal", "to": to, "kind": "offer", "sdp": sdp})
    return await sender.recv()


async def send_candidate(sender: WsClient, to: str, candidate: dict[str, Any] | None) -> str:
    """Send a candidate; the type of the answer (ack or error code)."""
    await sender.send({"type": "signal", "to": to, "kind": "candidate", "candidate": candidate})
    answer = await sender.recv()
    return "ack" if answer["type"] == "ack" else str(answer["code"])


async def test_sdp_and_candidates_that_fail_the_checks_are_refused_and_not_relayed(
    server: RunningServer,
) -> None:
    a, b, room = await server.ann_and_bob_in_a_room()
    no_fingerprint = "".join(
        line for line in CHROMIUM_OFFER.splitlines(True) if not line.startswith("a=fingerprint")
    )
    for sdp, problem in (
        ("v=0 offer", "an SDP starts with `v=0`"),
        (no_fingerprint, "media section 0 has no a=fingerprint"),
        (CHROMIUM_OFFER.replace("a=ice-pwd:sza6vPaKihuL8DoIqk/4R2qU", "a=ice-pwd:short"),
         "a=ice-pwd is 22 to 256"),
        (CHROMIUM_OFFER + "a=x" * 11_000, "at most 32768 bytes"),
    ):  # fmt: skip
        error = await offer(a, room["bob"], sdp)
        assert (error["type"], error["code"], error["request"]) == (
            "error",
            "invalid_sdp",
            "signal",
        )
        assert problem in error["message"]
    for bad, code in (
        ({**CANDIDATE, "candidate": "candidate:1 1 udp 1 10.0.0.1 5000 typ evil"},
         "invalid_candidate"),
        ({**CANDIDATE, "usernameFragment": "no"}, "invalid_candidate"),
        ({**CANDIDATE, "sdpMLineIndex": 16}, "invalid_candidate"),
        ({**CANDIDATE, "sdpMLineIndex": 2**64}, "invalid_message"),
    ):  # fmt: skip
        assert await send_candidate(a, room["bob"], bad) == code
    await b.nothing_more()
    assert (await offer(a, room["bob"]))["type"] == "ack"  # the socket and the link go on
    assert (await b.expect("signal"))["sdp"] == CHROMIUM_OFFER


async def test_candidates_are_capped_per_link_until_the_next_offer_or_answer(
    start_server: ServerFactory,
) -> None:
    server = await start_server(max_candidates_per_negotiation=3)
    a, b, room = await server.ann_and_bob_in_a_room()
    assert (await offer(a, room["bob"]))["type"] == "ack"
    sent = [await send_candidate(a, room["bob"], CANDIDATE) for _ in range(3)]
    assert sent == ["ack"] * 3
    assert await send_candidate(a, room["bob"], None) == "too_many_candidates"
    relayed = [(await b.expect("signal"))["kind"] for _ in range(4)]
    assert relayed == ["offer"] + ["candidate"] * 3
    await b.nothing_more()
    assert await send_candidate(b, room["ann"], CANDIDATE) == "ack"  # the other way is its own
    assert (await a.expect("signal"))["kind"] == "candidate"

    assert (await offer(a, room["bob"]))["type"] == "ack"  # an ICE restart: a new budget
    assert await send_candidate(a, room["bob"], CANDIDATE) == "ack"
    assert [(await b.expect("signal"))["kind"] for _ in range(2)] == ["offer", "candidate"]
    await b.send({"type": "signal", "to": room["ann"], "kind": "answer", "sdp": CHROMIUM_GATHERED})
    assert (await b.recv())["type"] == "ack"  # its two candidates count
    assert await send_candidate(b, room["ann"], CANDIDATE) == "ack"
    assert await send_candidate(b, room["ann"], CANDIDATE) == "too_many_candidates"
    assert [(await a.expect("signal"))["kind"] for _ in range(2)] == ["answer", "candidate"]
    line = "a=candidate:1 1 udp 1 10.0.0.1 5000 typ host\r\n"
    four = CHROMIUM_GATHERED.replace("a=candidate:", line * 2 + "a=candidate:", 1)
    await b.send({"type": "signal", "to": room["ann"], "kind": "answer", "sdp": four})
    assert (await b.expect("error"))["code"] == "too_many_candidates"
    await b.send({"type": "signal", "to": room["ann"], "kind": "offer", "sdp": CHROMIUM_OFFER})
    assert (await b.recv())["type"] == "ack"
    assert await send_candidate(b, room["ann"], CANDIDATE) == "ack"
    assert [(await a.expect("signal"))["kind"] for _ in range(2)] == ["offer", "candidate"]
    await a.nothing_more()
