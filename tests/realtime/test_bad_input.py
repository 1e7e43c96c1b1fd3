"""Bad input and abuse: clear errors, the socket survives; floods and oversize frames do not."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest
import websockets

from glimpse.realtime import protocol
from tests.conftest import RunningServer, ServerFactory, free_port
from tests.observability.scrape import scrape, value
from tests.realtime.fixtures import CHROMIUM_CANDIDATES, CHROMIUM_OFFER


async def test_malformed_frames_get_errors_and_the_socket_stays_open(
    server: RunningServer,
) -> None:
    a, b, _ = await server.ann_and_bob_in_a_room()
    cases = [
        ("{not json", "bad_json", None, None),
        ("[1, 2]", "invalid_message", None, None),
        ('{"no_type": 1}', "invalid_message", None, None),
        ('{"type": "dance", "ref": "d"}', "unknown_type", None, "d"),
        ('{"type": "chat", "text": "no id", "ref": "c"}', "invalid_message", "chat", "c"),
        ('{"type": "chat", "client_id": "x", "text": 5}', "invalid_message", "chat", None),
        ('{"type": "typing", "active": "yes"}', "invalid_message", "typing", None),
        ('{"type": "chat", "client_id": "x", "text": "t", "extra": 1}', "invalid_message",
         "chat", None),
        ('{"type": "join", "room": "' + "r" * 65 + '"}', "invalid_message", "join", None),
    ]  # fmt: skip
    for frame, code, request, ref in cases:
        await a.send_raw(frame)
        error = await a.expect("error")
        assert (error["code"], error.get("request"), error.get("ref")) == (code, request, ref)
        assert error["message"]
    await a.send_raw(b'{"type": "chat", "client_id": "bin", "text": "binary frame"}')
    assert (await a.expect("ack"))["message"]["text"] == "binary frame"
    assert (await b.expect("chat"))["message"]["text"] == "binary frame"


DEEP = 10_000
PATHOLOGICAL = [
    ("[" * DEEP + "]" * DEEP, "invalid_message", None),
    ('{"type": "chat", "client_id": "x", "text": ' + "[" * DEEP + "]" * DEEP + "}", "bad_json",
     None),
    ('{"deep": ' + "[" * DEEP + "]" * DEEP + ', "type": "chat"}', "bad_json", None),
    ('{"type": ' + '{"a":' * DEEP + "1" + "}" * DEEP + "}", "bad_json", None),
    ("1e999999", "invalid_message", None),
    ('{"type": "join", "room": "r", "last_seq": 1e999999}', "invalid_message", "join"),
    ('{"type": "join", "room": "r", "last_seq": ' + str(2**64) + "}", "invalid_message", "join"),
    ('{"type": "join", "room": "r", "last_seq": ' + str(2**63) + "}", "invalid_message", "join"),
    ('{"type": "join", "room": "r", "last_seq": -1}', "invalid_message", "join"),
    ('{"type": "join", "room": "r", "last_seq": ' + "9" * DEEP + "}", "invalid_message", "join"),
    ("9" * DEEP, "invalid_message", None),
    ('{"type": "signal", "to": "x", "kind": "candidate", "candidate": {"candidate": "", '
     '"sdpMLineIndex": ' + str(2**64) + "}}", "invalid_message", "signal"),
    ('{"type": "typing", "active": true, "unknown": 1e999999}', "invalid_message", "typing"),
    ('{"type": "typing", "active": true} trailing', "bad_json", None),
    (b'{"type": "chat", "client_id": "x", "text": "\xff"}', "bad_json", None),
    ('{"type": "chat", "client_id": "x", "text": "\\ud800"}', "bad_json", None),
]  # fmt: skip


async def test_pathological_json_gets_an_error_and_one_log_line_and_the_socket_stays_open(
    server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    a, b, room = await server.ann_and_bob_in_a_room()
    await a.send({"type": "leave"})
    await a.expect("ack")
    await b.expect("participant-left")
    for frame, code, request in PATHOLOGICAL:
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="glimpse"):
            await a.send_raw(frame)
            error = await a.expect("error")
        assert (error["code"], error.get("request")) == (code, request), frame[:60]
        glimpse_records = [r for r in caplog.records if r.name.startswith("glimpse")]
        assert len(glimpse_records) == 1, frame[:60]
        assert all(r.exc_info is None and r.levelno < logging.ERROR for r in caplog.records)
    joined = await a.join(room["code"], last_seq=2**63 - 1)  # the largest allowed
    assert (joined["messages"], joined["more_messages"]) == ([], False)
    await a.chat("still here")
    assert (await b.expect("participant-joined"))["participant"]["display_name"] == "Ann"
    assert (await b.expect("chat"))["message"]["text"] == "still here"


async def test_an_invalid_message_flood_closes_the_socket_with_4429(
    start_server: ServerFactory,
) -> None:
    server = await start_server(rate_limit_strikes=5)
    a, b, room = await server.ann_and_bob_in_a_room()
    for _ in range(5):  # up to the limit: the socket stays open
        await a.send_raw('{"type": "typing", "active": "no"}')
        assert (await a.expect("error"))["code"] == "invalid_message"
    await a.chat("fine so far")
    assert (await b.expect("chat"))["message"]["text"] == "fine so far"
    for _ in range(20):
        with contextlib.suppress(websockets.ConnectionClosed):
            await a.send_raw("{flood")
    answers = []
    with contextlib.suppress(websockets.ConnectionClosed, TimeoutError):
        while True:
            answers.append(await a.recv())
    assert [m["code"] for m in answers] == ["bad_json"]  # the sixth refusal within 10 s
    assert a.connection.close_code == 4429
    assert (await b.expect("participant-left"))["participant_id"] == room["ann"]


async def test_refusals_of_every_kind_are_strikes(start_server: ServerFactory) -> None:
    """All but the `rate_limited`: one refusal over the rate is not (see test_rate_limits.py)."""
    server = await start_server(rate_limit_strikes=5, chat_burst=1, chat_rate=0.01)
    a, _, room = await server.ann_and_bob_in_a_room()
    await a.chat("one")
    refused = [
        ({"type": "chat", "client_id": "c", "text": "two"}, "rate_limited"),
        (
            {"type": "signal", "to": room["bob"], "kind": "candidate", "sdp": "v=0"},
            "invalid_message",
        ),
        ({"type": "signal", "to": room["bob"], "kind": "offer", "sdp": "v=0"}, "invalid_sdp"),
        ({"type": "dance"}, "unknown_type"),
        ({"type": "auth", "token": "t"}, "already_authenticated"),
        ({"type": "join", "room": room["code"]}, "already_in_room"),
        ({"type": "media", "audio": 1, "video": True, "screen": True}, "invalid_message"),
    ]
    for message, _ in refused:
        with contextlib.suppress(websockets.ConnectionClosed):
            await a.send(message)
    codes = []
    with contextlib.suppress(websockets.ConnectionClosed, TimeoutError):
        while True:
            codes.append((await a.recv())["code"])
    assert codes == [code for _, code in refused]
    assert a.connection.close_code == 4429


async def test_refusals_the_server_is_to_blame_for_are_not_strikes(
    start_server: ServerFactory,
) -> None:
    server = await start_server(
        bus_url=f"redis://127.0.0.1:{free_port()}", rate_limit_strikes=1, join_burst=10
    )  # a bus that cannot be reached: every join is refused with `unavailable`
    ann = await server.register()
    room = await server.create_room(ann)
    client = await server.connect(ann)
    for _ in range(5):
        await client.send({"type": "join", "room": room["code"]})
        assert (await client.expect("error"))["code"] == "unavailable"
    await client.send({"type": "leave"})
    assert (await client.expect("error"))["code"] == "not_in_room"
    await client.nothing_more()
    assert client.connection.close_code is None


async def test_signals_to_a_participant_who_just_left_are_not_strikes(
    start_server: ServerFactory,
) -> None:
    """A browser trickles candidates on for a moment after its peer left: refused, not punished."""
    server = await start_server(rate_limit_strikes=3)
    a, b, room = await server.ann_and_bob_in_a_room()
    await b.close()
    await a.expect("participant-left")
    for _ in range(10):
        await a.send({"type": "signal", "to": room["bob"], "kind": "candidate",
                      "candidate": CHROMIUM_CANDIDATES[0]})  # fmt: skip
        assert (await a.expect("error"))["code"] == "unknown_participant"
    assert (await a.chat("still here"))["text"] == "still here"
    assert a.connection.close_code is None


async def test_frame_over_64_kib_closes_with_1009(server: RunningServer) -> None:
    a, b, room = await server.ann_and_bob_in_a_room()
    await a.send_raw('{"type": "chat", "client_id": "big", "text": "' + "x" * 70_000 + '"}')
    assert await a.close_code() == 1009
    assert (await b.expect("participant-left"))["participant_id"] == room["ann"]
    await b.chat("the room goes on")


@pytest.mark.parametrize(
    ("frame", "code", "kind"),
    [
        ('{"ref": "r", "type": "chat", "client_id": "c", "text": "' + "é" * 600 + '"}',
         "message_too_big", "chat"),
        ('{"type": "no-such-type", "ref": "r", "pad": "' + "x" * 1100 + '"}',
         "message_too_big", None),
        ('{"type": "chat", "ref": "r", "text": "' + "x" * 1100, "bad_json", None),
        ("[" * 1100, "invalid_message", None),
    ],
)  # fmt: skip
def test_a_message_over_the_cap_is_refused_by_its_type_before_it_is_decoded(
    frame: str, code: str, kind: str | None
) -> None:
    """Over `max_bytes` (in UTF-8: 600 "é" are 1,200 bytes), only `sfu-subscribed` is decoded."""
    with pytest.raises(protocol.ProtocolError) as refused:
        protocol.decode(frame, 1024)
    assert (refused.value.code, refused.value.request) == (code, kind)
    large = '{"type": "sfu-subscribed", "version": 1, "sdp": "' + "x" * 2000 + '"}'
    assert protocol.decode(large, 1024) == protocol.SfuSubscribed(version=1, sdp="x" * 2000)


async def test_chat_flood_is_rate_limited_then_closed(start_server: ServerFactory) -> None:
    server = await start_server(chat_rate=2, chat_burst=5, rate_limit_strikes=5)
    a, b, _ = await server.ann_and_bob_in_a_room()
    for number in range(30):
        with contextlib.suppress(websockets.ConnectionClosed):
            await a.send({"type": "chat", "client_id": f"f{number}", "text": "spam"})
    answers = []
    with contextlib.suppress(websockets.ConnectionClosed, TimeoutError):
        while True:
            answers.append(await a.recv(timeout=2))
    assert [m["type"] for m in answers[:5]] == ["ack"] * 5
    limited = [m for m in answers if m["type"] == "error"]
    assert limited
    assert all(m["code"] == "rate_limited" and m["request"] == "chat" for m in limited)
    assert a.connection.close_code == 4429
    delivered = [(await b.expect("chat"))["message"]["seq"] for _ in range(5)]
    assert delivered == [1, 2, 3, 4, 5]
    assert (await b.expect("participant-left"))["type"] == "participant-left"


async def test_signal_flood_is_rate_limited(start_server: ServerFactory) -> None:
    server = await start_server(signal_rate=1, signal_burst=3, rate_limit_strikes=100)
    a, b, room = await server.ann_and_bob_in_a_room()
    for _ in range(6):
        await a.send({"type": "signal", "to": room["bob"], "kind": "offer", "sdp": CHROMIUM_OFFER})
    answers = [await a.recv() for _ in range(6)]
    assert [m["type"] for m in answers] == ["ack"] * 3 + ["error"] * 3
    assert {m["code"] for m in answers[3:]} == {"rate_limited"}
    assert [(await b.expect("signal"))["kind"] for _ in range(3)] == ["offer"] * 3
    await b.nothing_more()


async def test_a_client_that_stops_reading_is_dropped_without_stalling_the_room(
    start_server: ServerFactory,
) -> None:
    server = await start_server(send_buffer_bytes=64 * 1024, chat_rate=10_000, chat_burst=10_000)
    users = [await server.register() for _ in range(3)]
    room = await server.create_room(users[0])
    sender, healthy, stalled = [await server.connect(user) for user in users]
    await sender.join(room["code"])
    await healthy.join(room["code"])
    stalled_id = (await stalled.join(room["code"]))["participant_id"]
    await sender.expect("participant-joined")
    await sender.expect("participant-joined")
    await healthy.expect("participant-joined")
    stalled.connection.transport.pause_reading()  # type: ignore[attr-defined]

    text = "y" * 4000
    received = 0
    left: dict[str, str] | None = None
    for number in range(2000):
        await sender.send({"type": "chat", "client_id": f"s{number}", "text": text})
        while (await sender.recv())["type"] != "ack":
            pass
        while True:
            message = await healthy.recv()
            if message["type"] == "participant-reconnecting":  # dropped: its place kept a while
                left = message
                continue
            assert message["type"] == "chat"
            received += 1
            break
        if left is not None:
            break
    assert left is not None, "the stalled client was never dropped"
    assert left["participant_id"] == stalled_id
    assert received == number + 1  # the healthy client got every message, in time
    roster = (await (await server.connect(users[2])).join(room["code"]))["participants"]
    assert {p["id"]: p["reconnecting"] for p in roster}[stalled_id] is True  # in its grace period
    stalled.connection.transport.resume_reading()  # type: ignore[attr-defined]
    assert await stalled.close_code() == 1006  # aborted: no close frame could reach it
    assert value(await scrape(server), "glimpse_stalled_clients_dropped_total") == 1


async def test_garbage_in_one_room_does_not_disturb_another(server: RunningServer) -> None:
    a, b, room = await server.ann_and_bob_in_a_room()
    c, d, _ = await server.ann_and_bob_in_a_room()

    async def garbage() -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            for _ in range(50):
                await a.send_raw("{broken")
                await a.send_raw('{"type": "nope"}')

    async def conversation() -> list[int]:
        seqs = []
        for number in range(20):
            await c.chat(f"fine {number}")
            seqs.append((await d.expect("chat"))["message"]["seq"])
        return seqs

    _, seqs = await asyncio.gather(garbage(), conversation())
    assert seqs == list(range(1, 21))
    strikes = server.settings.rate_limit_strikes
    assert len([await a.expect("error") for _ in range(strikes + 1)]) == strikes + 1
    assert await a.close_code() == 4429  # a flood
    assert (await b.expect("participant-left"))["participant_id"] == room["ann"]
    await d.nothing_more()


async def test_password_guessing_by_join_is_rate_limited(start_server: ServerFactory) -> None:
    server = await start_server(join_rate=0.1, join_burst=3)
    owner, guesser = await server.register(), await server.register()
    room = await server.create_room(owner, password="the real one")
    client = await server.connect(guesser)
    for guess in range(6):
        await client.send({"type": "join", "room": room["code"], "password": f"guess {guess}"})
    codes = [(await client.expect("error"))["code"] for _ in range(6)]
    assert codes == ["wrong_room_password"] * 3 + ["rate_limited"] * 3
