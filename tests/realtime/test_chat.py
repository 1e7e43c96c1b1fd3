"""Chat: stored with the next sequence number, then broadcast; retries are idempotent."""

from __future__ import annotations

from tests.conftest import RunningServer, ServerFactory


async def test_messages_arrive_in_order_and_are_stored(server: RunningServer) -> None:
    a, b, room = await server.ann_and_bob_in_a_room()
    for number in range(1, 11):
        await a.send({"type": "chat", "client_id": f"c{number}", "text": f"n{number}",
                      "ref": f"r{number}"})  # fmt: skip
    acks = [await a.expect("ack") for _ in range(10)]
    assert [ack["ref"] for ack in acks] == [f"r{n}" for n in range(1, 11)]
    assert [ack["message"]["seq"] for ack in acks] == list(range(1, 11))
    received = [(await b.expect("chat"))["message"] for _ in range(10)]
    assert received == [ack["message"] for ack in acks]
    assert received[0]["sender_name"] == "Ann"
    await a.nothing_more()  # the sender gets its ack, not an echo

    reply = await b.chat("n11")
    assert reply["seq"] == 11
    assert (await a.expect("chat"))["message"]["text"] == "n11"
    late = await server.connect(await server.register())
    stored = (await late.join(room["code"]))["messages"]
    assert [m["text"] for m in stored] == [f"n{n}" for n in range(1, 12)]


async def test_retried_send_is_stored_and_delivered_once(server: RunningServer) -> None:
    a, b, room = await server.ann_and_bob_in_a_room()
    first = await a.chat("only once", client_id="retry-me")
    retried = await a.chat("only once", client_id="retry-me")
    assert retried == first
    assert (await b.expect("chat"))["message"] == first
    await b.nothing_more()
    history = await server.http.get(
        f"/api/rooms/{room['id']}/messages",
        headers={"Authorization": f"Bearer {(await server.register()).token}"},
    )
    assert history.status_code == 403  # a stranger cannot look
    joined = await (await server.connect(await server.register())).join(room["code"])
    assert [m["client_id"] for m in joined["messages"]] == ["retry-me"]


async def test_text_length_limits(server: RunningServer) -> None:
    a, b, _ = await server.ann_and_bob_in_a_room()
    for text, code in (("", "empty_text"), ("   \n", "empty_text"), ("x" * 4001, "text_too_long")):
        await a.send({"type": "chat", "client_id": "c", "text": text, "ref": "t"})
        error = await a.expect("error")
        assert (error["code"], error["request"], error["ref"]) == (code, "chat", "t")
    longest = await a.chat("é" * 4000)
    assert len(longest["text"]) == 4000
    assert (await b.expect("chat"))["message"]["seq"] == 1


async def test_typing_is_relayed_to_the_others_and_not_stored(server: RunningServer) -> None:
    a, b, room = await server.ann_and_bob_in_a_room()
    await b.send({"type": "typing", "active": True})
    assert await a.expect("typing") == {
        "type": "typing", "participant_id": room["bob"], "active": True
    }  # fmt: skip
    await b.send({"type": "typing", "active": False})
    assert (await a.expect("typing"))["active"] is False
    await b.nothing_more()
    late = await server.connect(await server.register())
    assert (await late.join(room["code"]))["messages"] == []


async def test_chat_in_one_room_stays_in_that_room(start_server: ServerFactory) -> None:
    server = await start_server()
    a, b, _ = await server.ann_and_bob_in_a_room()
    c, d, _ = await server.ann_and_bob_in_a_room()
    await a.chat("room one")
    await c.chat("room two")
    assert (await b.expect("chat"))["message"]["text"] == "room one"
    assert (await d.expect("chat"))["message"]["text"] == "room two"
    await b.nothing_more()
    await d.nothing_more()
