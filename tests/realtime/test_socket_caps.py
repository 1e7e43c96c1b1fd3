"""Sockets per user, per client address and before authentication are capped."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
import websockets

from tests.conftest import RECEIVE_TIMEOUT, ServerFactory, WsClient, wait_until


async def a_place_comes_back(connect: Callable[[], Awaitable[WsClient]]) -> None:
    """`connect` succeeds once a freed place is counted free (the server forgets a socket as it
    closes)."""

    async def connects() -> bool:
        try:
            await (await connect()).close()
        except (websockets.InvalidStatus, AssertionError):
            return False
        return True

    await wait_until(connects, RECEIVE_TIMEOUT, "the closed socket's place never came back")


async def test_a_users_sockets_beyond_the_cap_are_refused(start_server: ServerFactory) -> None:
    server = await start_server(max_sockets_per_user=2)
    user, other = await server.register(), await server.register()
    first, _ = await server.connect(user), await server.connect(user)

    third = await server.connect()
    await third.send({"type": "auth", "token": user.token, "ref": "a"})
    error = await third.expect("error")
    assert (error["code"], error["request"], error["ref"]) == ("too_many_sockets", "auth", "a")
    assert await third.close_code() == 4429
    await server.connect(other)  # other users are not concerned

    await first.close()
    await a_place_comes_back(lambda: server.connect(user))


async def test_sockets_from_one_address_beyond_the_cap_are_refused_at_the_handshake(
    start_server: ServerFactory,
) -> None:
    server = await start_server(max_sockets_per_address=2, auth_timeout=60)
    first, _ = await server.connect(), await server.connect(await server.register())

    with pytest.raises(websockets.InvalidStatus) as refused:
        await server.connect()
    assert refused.value.response.status_code == 429
    assert (await server.http.get("/healthz")).status_code == 200

    await first.close()
    await a_place_comes_back(server.connect)


async def test_sockets_not_yet_authenticated_beyond_the_cap_are_refused(
    start_server: ServerFactory,
) -> None:
    server = await start_server(max_unauthenticated_sockets=2, auth_timeout=60)
    user = await server.register()
    first, _ = await server.connect(), await server.connect()

    with pytest.raises(websockets.InvalidStatus) as refused:
        await server.connect()
    assert refused.value.response.status_code == 503
    assert (await server.http.get("/healthz")).status_code == 200

    await first.send({"type": "auth", "token": user.token})
    await first.expect("authenticated")
    await server.connect()  # authenticated sockets do not count
