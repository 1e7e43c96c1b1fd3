"""A session that ends through one instance closes its sockets on the others (over Redis)."""

from __future__ import annotations

import secrets

import httpx
import pytest

from tests.conftest import InProcessServer, RedisServer, ServerFactory, wait_until

CLOSE_DEADLINE = 10.0
"""The promise is "within a few seconds"; generous for a loaded machine."""


async def ready(server: InProcessServer) -> bool:
    return (await server.http.get("/readyz")).status_code == 200


@pytest.fixture
async def a_and_b(
    start_server: ServerFactory, postgres_database: str, redis_server: RedisServer
) -> tuple[InProcessServer, InProcessServer]:
    """Two instances in this process, on one PostgreSQL database and one Redis."""
    shared = {
        "database_url": postgres_database,
        "bus_url": redis_server.url,
        "secret_key": secrets.token_urlsafe(48),
    }
    a, b = await start_server(**shared), await start_server(**shared)
    for server in (a, b):  # subscribed to the revocations once the bus answers
        await wait_until(lambda server=server: ready(server), 30, "instance not ready")
    return a, b


async def test_log_out_on_one_instance_closes_the_sessions_socket_on_another(
    a_and_b: tuple[InProcessServer, InProcessServer],
) -> None:
    a, b = a_and_b
    user = await a.register()
    on_b = await b.connect(user)
    other_session_on_b = await b.connect(await a.log_in_again(user))

    assert (await user.http.post("/api/auth/logout")).status_code == 204

    assert await on_b.close_code(CLOSE_DEADLINE) == 4403
    await other_session_on_b.still_open()


async def test_refresh_token_reuse_on_one_instance_closes_the_sessions_socket_on_another(
    a_and_b: tuple[InProcessServer, InProcessServer],
) -> None:
    a, b = a_and_b
    user = await a.register()
    on_b = await b.connect(user)
    stolen = user.http.cookies["glimpse_refresh"]
    assert (await user.http.post("/api/auth/refresh")).status_code == 200

    async with httpx.AsyncClient(base_url=a.base_url, timeout=10) as thief:
        replay = await thief.post(
            "/api/auth/refresh", headers={"Cookie": f"glimpse_refresh={stolen}"}
        )
    assert replay.json()["error"]["code"] == "refresh_token_reused"

    assert await on_b.close_code(CLOSE_DEADLINE) == 4403


async def test_a_password_change_closes_the_users_other_sessions_sockets_everywhere(
    a_and_b: tuple[InProcessServer, InProcessServer],
) -> None:
    a, b = a_and_b
    user = await a.register()
    own_on_a, own_on_b = await a.connect(user), await b.connect(user)
    other_token = await a.log_in_again(user)
    others = [await server.connect(other_token) for server in (a, b)]
    bystander = await b.connect(await a.register())

    response = await a.http.patch(
        "/api/users/me",
        json={"password": "a new horse", "current_password": "correct horse"},
        headers=user.headers,
    )
    assert response.status_code == 200, response.text

    for client in others:
        assert await client.close_code(CLOSE_DEADLINE) == 4403
    for client in (own_on_a, own_on_b, bystander):
        await client.still_open()
