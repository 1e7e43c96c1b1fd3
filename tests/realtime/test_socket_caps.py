"""Sockets per user, per client address and before authentication are capped."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
import websockets

from tests.conftest import RECEIVE_TIMEOUT, RunningServer, ServerFactory, WsClient, wait_until


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


async def connect_as(
    server: RunningServer, source: str = "127.0.0.1", forwarded_for: str | None = None
) -> WsClient:
    """A socket, not authenticated, from this loopback address or forwarded for another one."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return WsClient(
        await websockets.connect(server.ws_url, local_addr=(source, 0), additional_headers=headers)
    )


async def refusal_status(connect: Awaitable[WsClient]) -> int:
    with pytest.raises(websockets.InvalidStatus) as refused:
        await connect
    status: int = refused.value.response.status_code
    return status


async def test_unauthenticated_sockets_are_capped_per_address(
    start_server: ServerFactory,
) -> None:
    """Two addresses opening silent sockets cannot fill the cap for all addresses."""
    server = await start_server(
        max_unauthenticated_sockets=6, max_unauthenticated_sockets_per_address=2, auth_timeout=60
    )
    user = await server.register()
    silent = []
    for source in ("127.0.0.2", "127.0.0.3"):
        silent += [await connect_as(server, source) for _ in range(2)]
        assert await refusal_status(connect_as(server, source)) == 429
        assert await refusal_status(connect_as(server, source)) == 429
    await server.connect(user)

    await silent[0].send({"type": "auth", "token": user.token})
    await silent[0].expect("authenticated")
    await connect_as(server, "127.0.0.2")  # the authenticated one no longer counts


async def test_ipv6_addresses_count_by_their_64_and_ipv4_mapped_ones_as_ipv4(
    start_server: ServerFactory,
) -> None:
    """Behind the trusted proxy 127.0.0.1: one /64 is one client, and so is an IPv4 address
    however it is written."""
    server = await start_server(max_sockets_per_address=2, auth_timeout=60)
    first, second = "2001:db8:0:7::1", "2001:DB8:0:7:ffff:ffff:ffff:fffe"
    for forwarded_for in (first, second):
        await connect_as(server, forwarded_for=forwarded_for)
    assert await refusal_status(connect_as(server, forwarded_for="2001:db8:0:7::99")) == 429
    await connect_as(server, forwarded_for="2001:db8:0:8::1")  # another /64

    await connect_as(server, forwarded_for="203.0.113.7")
    await connect_as(server, forwarded_for="::ffff:203.0.113.7")
    assert await refusal_status(connect_as(server, forwarded_for="203.0.113.7")) == 429
    assert await refusal_status(connect_as(server, forwarded_for="::ffff:cb00:7107")) == 429
