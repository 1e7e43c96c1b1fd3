"""A socket lives as long as its login session and its access token (renewed on the socket)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import jwt

from glimpse.store import open_store
from tests.conftest import RunningServer, ServerFactory

TTL = 20
"""Seconds an access token lives in the renewal test: long beside the delays of a loaded box."""
RENEW_BEFORE = 3
"""Seconds before the first token expires that the renewal test renews it."""


def claims_of(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


async def test_log_out_closes_that_sessions_sockets_only(server: RunningServer) -> None:
    user = await server.register()
    other_device = await server.connect(await server.log_in_again(user))
    first, second = await server.connect(user), await server.connect(user)

    assert (await user.http.post("/api/auth/logout")).status_code == 204

    for client in (first, second):
        assert await client.close_code() == 4403
        assert client.connection.close_reason == "session ended"
    await other_device.still_open()


async def test_a_socket_closes_when_its_access_token_expires(start_server: ServerFactory) -> None:
    server = await start_server(access_token_ttl=2)
    client = await server.connect(await server.register())
    assert await client.close_code(timeout=10) == 4401
    assert client.connection.close_reason == "token expired"


async def test_a_renewed_socket_outlives_its_first_token(start_server: ServerFactory) -> None:
    server = await start_server(access_token_ttl=TTL, heartbeat_timeout=3 * TTL)  # no pongs
    user = await server.register()
    client = await server.connect(user)
    first_expiry = claims_of(user.token)["exp"]
    await asyncio.sleep(max(0.0, first_expiry - RENEW_BEFORE - time.time()))

    response = await user.http.post("/api/auth/refresh")
    assert response.status_code == 200, response.text
    renewed = response.json()["access_token"]
    await client.send({"type": "renew", "token": renewed, "ref": "r1"})
    ack = await client.expect("ack")
    assert (ack["request"], ack["ref"]) == ("renew", "r1")
    assert 0 < ack["expires_in"] <= TTL

    assert await client.close_code(timeout=2 * TTL) == 4401  # when the renewed token expires
    closed_at = time.time()
    assert client.connection.close_reason == "token expired"
    assert closed_at > first_expiry + TTL / 2, "closed near the first token's expiry"


async def test_a_renewal_must_be_a_valid_token_of_the_user_and_a_live_session(
    server: RunningServer,
) -> None:
    ann, bob = await server.register("Ann"), await server.register("Bob")
    client = await server.connect(ann)
    ended = await server.log_in_again(ann)
    await _revoke(server, claims_of(ended)["sid"])

    refusals = {}
    for name, token in (("garbage", "not-a-jwt"), ("bob", bob.token), ("ended", ended)):
        await client.send({"type": "renew", "token": token, "ref": name})
        error = await client.expect("error")
        assert (error["request"], error["ref"]) == ("renew", name)
        refusals[name] = error["code"]

    assert refusals == {
        "garbage": "invalid_token", "bob": "wrong_user", "ended": "session_revoked"
    }  # fmt: skip
    await client.still_open()


async def test_a_revoked_session_cannot_join_even_if_its_socket_survived(
    server: RunningServer,
) -> None:
    user = await server.register()
    room = await server.create_room(user)
    client = await server.connect(user)
    await _revoke(server, claims_of(user.token)["sid"])  # as if the announcement never came

    await client.send({"type": "join", "room": room["code"], "ref": "j1"})
    error = await client.expect("error")
    assert (error["code"], error["request"], error["ref"]) == ("session_revoked", "join", "j1")


async def _revoke(server: RunningServer, session_id: str) -> None:
    """Revoke a login session in the server's database behind its back (no socket is told)."""
    store = open_store(server.settings.resolved_database_url)
    await store.connect()
    try:
        await store.revoke_session(session_id, datetime.now(UTC))
    finally:
        await store.close()
