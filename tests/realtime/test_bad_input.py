"""Bad input and abuse: clear errors, the socket survives; floods and oversize frames do not."""

from __future__ import annotations

import asyncio
import contextlib

import websockets

from tests.conftest import RunningServer, ServerFactory
from tests.observability.scrape import scrape, value


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


async def test_frame_over_64_kib_closes_with_1009(server: RunningServer) -> None:
    a, b, room = await server.ann_and_bob_in_a_room()
    await a.send_raw('{"type": "chat", "client_id": "big", "text": "' + "x" * 70_000 + '"}')
    assert await a.close_code() == 1009
    assert (await b.expect("participant-left"))["participant_id"] == room["ann"]
    await b.chat("the room goes on")


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
        await a.send({"type": "signal", "to": room["bob"], "kind": "offer", "sdp": "v=0"})
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
            if message["type"] == "participant-left":
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
    assert stalled_id not in {p["id"] for p in roster}
    stalled.connection.transport.resume_reading()  # type: ignore[attr-defined]
    assert await stalled.close_code() == 1006  # aborted: no close frame could reach it
    assert value(await scrape(server), "glimpse_stalled_clients_dropped_total") == 1


async def test_garbage_in_one_room_does_not_disturb_another(server: RunningServer) -> None:
    a, b, _ = await server.ann_and_bob_in_a_room()
    c, d, _ = await server.ann_and_bob_in_a_room()

    async def garbage() -> None:
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
    assert len([await a.expect("error") for _ in range(100)]) == 100
    await b.nothing_more()


async def test_password_guessing_by_join_is_rate_limited(start_server: ServerFactory) -> None:
    server = await start_server(join_rate=0.1, join_burst=3)
    owner, guesser = await server.register(), await server.register()
    room = await server.create_room(owner, password="the real one")
    client = await server.connect(guesser)
    for guess in range(6):
        await client.send({"type": "join", "room": room["code"], "password": f"guess {guess}"})
    codes = [(await client.expect("error"))["code"] for _ in range(6)]
    assert codes == ["wrong_room_password"] * 3 + ["rate_limited"] * 3
