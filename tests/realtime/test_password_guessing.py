"""Room-password guessing is limited per user and per room, across every socket and, with
Redis, across instances; the per-connection join rate stays on top of it."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from tests.conftest import RedisServer, RunningServer, ServerFactory, WsClient

PASSWORD = "let me in"
THREE = "3/hour"


async def guess(client: WsClient, room: dict[str, Any], password: str) -> str:
    """Try to join with this password; the error code, or "joined"."""
    await client.send({"type": "join", "room": room["code"], "password": password, "ref": "g"})
    answer = await client.recv()
    if answer["type"] == "joined":
        return "joined"
    assert (answer["type"], answer["request"], answer["ref"]) == ("error", "join", "g"), answer
    code: str = answer["code"]
    return code


async def a_locked_room(server: RunningServer) -> dict[str, Any]:
    return await server.create_room(await server.register("Owner"), password=PASSWORD)


async def test_guesses_from_all_of_a_users_sockets_count_together(
    start_server: ServerFactory,
) -> None:
    server = await start_server(room_password_limit_per_user=THREE)
    room, other_room = await a_locked_room(server), await a_locked_room(server)
    mallory = await server.register("Mallory")
    first, second = await server.connect(mallory), await server.connect(mallory)
    assert await guess(first, room, "guess 1") == "wrong_room_password"
    assert await guess(first, room, "guess 2") == "wrong_room_password"
    assert await guess(second, other_room, "guess 3") == "wrong_room_password"
    assert await guess(second, room, PASSWORD) == "rate_limited"  # not even checked
    assert await guess(first, other_room, PASSWORD) == "rate_limited"
    await second.send({"type": "leave"})  # the socket stays open and answers
    assert (await second.expect("error"))["code"] == "not_in_room"

    ann = await server.register("Ann")  # another user is not held back
    assert await guess(await server.connect(ann), room, PASSWORD) == "joined"


async def test_guesses_from_all_users_count_against_the_room(start_server: ServerFactory) -> None:
    server = await start_server(room_password_limit_per_room=THREE)
    room, other_room = await a_locked_room(server), await a_locked_room(server)
    guessers = [await server.connect(await server.register()) for _ in range(2)]
    assert await guess(guessers[0], room, "guess 1") == "wrong_room_password"
    assert await guess(guessers[1], room, "guess 2") == "wrong_room_password"
    assert await guess(guessers[0], room, "guess 3") == "wrong_room_password"
    ann = await server.connect(await server.register("Ann"))
    assert await guess(ann, room, PASSWORD) == "rate_limited"
    assert await guess(ann, other_room, PASSWORD) == "joined"


async def test_right_passwords_do_not_use_the_limit_up(start_server: ServerFactory) -> None:
    server = await start_server(
        room_password_limit_per_user=THREE, room_password_limit_per_room=THREE
    )
    room = await a_locked_room(server)
    ann = await server.connect(await server.register("Ann"))
    for _ in range(4):
        assert await guess(ann, room, PASSWORD) == "joined"
        await ann.send({"type": "leave"})
        await ann.expect("ack")
    await ann.send({"type": "join", "room": room["code"]})  # no password: not a guess
    assert (await ann.expect("error"))["code"] == "room_password_required"


async def test_guesses_on_two_instances_count_together(
    start_server: ServerFactory, tmp_path: Path, redis_server: RedisServer
) -> None:
    """Two servers on one database and one Redis of the test's own."""
    shared = {
        "bus_url": redis_server.url,
        "database_url": f"sqlite:///{tmp_path / 'shared.db'}",
        "secret_key": secrets.token_urlsafe(48),
        "room_password_limit_per_user": THREE,
        "room_password_limit_per_room": "5/hour",
    }
    one, two = await start_server(**shared), await start_server(**shared)
    room = await a_locked_room(one)
    mallory = await one.register("Mallory")
    on_one, on_two = await one.connect(mallory), await two.connect(mallory)
    assert await guess(on_one, room, "guess 1") == "wrong_room_password"
    assert await guess(on_two, room, "guess 2") == "wrong_room_password"
    assert await guess(on_one, room, "guess 3") == "wrong_room_password"
    assert await guess(on_two, room, PASSWORD) == "rate_limited"  # per user, across instances

    eve = await two.connect(await two.register("Eve"))
    assert await guess(eve, room, "guess 4") == "wrong_room_password"
    assert await guess(eve, room, "guess 5") == "wrong_room_password"
    ann = await one.connect(await one.register("Ann"))
    assert await guess(ann, room, PASSWORD) == "rate_limited"  # per room, across instances


async def test_strangers_guessing_do_not_lock_out_the_owner_or_former_members(
    start_server: ServerFactory,
) -> None:
    server = await start_server(room_password_limit_per_room=THREE)
    owner = await server.register("Owner")
    room = await server.create_room(owner, password=PASSWORD)
    member = await server.connect(await server.register("Member"))
    assert await guess(member, room, PASSWORD) == "joined"
    await member.send({"type": "leave"})
    await member.expect("ack")
    guessers = [await server.connect(await server.register()) for _ in range(3)]
    for n, guesser in enumerate(guessers):
        assert await guess(guesser, room, f"guess {n}") == "wrong_room_password"
    newcomer = await server.connect(await server.register("Newcomer"))
    assert await guess(newcomer, room, PASSWORD) == "rate_limited"

    assert await guess(await server.connect(owner), room, PASSWORD) == "joined"
    assert await guess(member, room, PASSWORD) == "joined"
