"""Passwords: common ones and the e-mail refused, old hashes upgraded on log-in, hashing bounded."""

from __future__ import annotations

import asyncio

import httpx
from argon2 import PasswordHasher

from glimpse.store import open_store
from tests.conftest import InProcessServer, RunningServer, ServerFactory


async def test_common_passwords_and_the_email_are_refused_at_sign_up(
    server: RunningServer,
) -> None:
    email = "ada.lovelace@example.org"
    for password in ["password123", "iloveyou", email, "Ada.Lovelace", email.upper()]:
        response = await server.http.post(
            "/api/auth/register",
            json={"email": email, "display_name": "Ada", "password": password},
        )
        assert response.status_code == 422, (password, response.text)
        assert response.json()["error"]["code"] == "weak_password"
    accepted = await server.http.post(
        "/api/auth/register",
        json={"email": email, "display_name": "Ada", "password": "analytical engine"},
    )
    assert accepted.status_code == 201, accepted.text


async def test_a_common_password_is_refused_at_password_change(server: RunningServer) -> None:
    user = await server.register(password="first password")
    refused = await server.http.patch(
        "/api/users/me",
        json={"password": "baseball", "current_password": "first password"},
        headers=user.headers,
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "weak_password"
    assert "common" in refused.json()["error"]["message"]
    login = await server.http.post(
        "/api/auth/login", json={"email": user.profile["email"], "password": "baseball"}
    )
    assert login.status_code == 401


async def test_a_hash_with_weaker_parameters_is_replaced_at_log_in(
    start_server: ServerFactory,
) -> None:
    server = await start_server()
    user = await server.register(password="right password")
    store = open_store(server.settings.resolved_database_url)
    await store.connect()
    try:
        weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
        await store.update_user(user.id, password_hash=weak.hash("right password"))
        email = user.profile["email"]

        wrong = await server.http.post(
            "/api/auth/login", json={"email": email, "password": "wrong password"}
        )
        assert wrong.status_code == 401
        stored = await store.get_user(user.id)
        assert stored is not None and PasswordHasher().check_needs_rehash(stored.password_hash)

        login = await server.http.post(
            "/api/auth/login", json={"email": email, "password": "right password"}
        )
        assert login.status_code == 200, login.text
        stored = await store.get_user(user.id)
        assert stored is not None
        assert not PasswordHasher().check_needs_rehash(stored.password_hash)
        assert PasswordHasher().verify(stored.password_hash, "right password")
    finally:
        await store.close()
    again = await server.http.post(
        "/api/auth/login", json={"email": email, "password": "right password"}
    )
    assert again.status_code == 200


async def _storm(server: InProcessServer, email: str, attempts: int) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as client:
        return await asyncio.gather(
            *(
                client.post(
                    "/api/auth/login",
                    json={"email": email, "password": "right password" if n % 2 else "wrong one"},
                )
                for n in range(attempts)
            )
        )


async def test_hashing_beyond_the_bound_gets_a_fast_503(start_server: ServerFactory) -> None:
    server = await start_server(
        password_hash_concurrency=1, password_hash_queue=2, password_hash_wait=30
    )
    user = await server.register(password="right password")

    responses = await _storm(server, user.profile["email"], attempts=24)

    busy = [response for response in responses if response.status_code == 503]
    assert busy, [response.status_code for response in responses]
    assert all(response.json()["error"]["code"] == "server_busy" for response in busy)
    assert all(int(response.headers["Retry-After"]) >= 1 for response in busy)
    served = [response for response in responses if response.status_code != 503]
    assert {response.status_code for response in served} <= {200, 401}
    assert len(served) >= 3  # one hashing, two waiting: these are served, not refused
    slowest_served = max(response.elapsed for response in served)
    slowest_refusal = max(response.elapsed for response in busy)
    assert slowest_refusal < slowest_served  # refused at once, not after waiting for a turn
    me = await server.http.get("/api/users/me", headers=user.headers)
    assert me.status_code == 200


async def test_a_wait_for_a_turn_is_bounded_in_time(start_server: ServerFactory) -> None:
    server = await start_server(
        password_hash_concurrency=1, password_hash_queue=100, password_hash_wait=0.001
    )
    user = await server.register(password="right password")

    responses = await _storm(server, user.profile["email"], attempts=16)

    codes = [response.status_code for response in responses]
    assert 503 in codes and (200 in codes or 401 in codes), codes


async def test_room_password_checks_share_the_bound(start_server: ServerFactory) -> None:
    server = await start_server(
        password_hash_concurrency=1, password_hash_queue=0, password_hash_wait=30
    )
    owner = await server.register()
    room = await server.create_room(owner, password="open sesame")
    guests = [await server.connect(await server.register()) for _ in range(8)]

    for guest in guests:
        await guest.send({"type": "join", "room": room["code"], "password": "open sesame"})
    answers = [await guest.recv() for guest in guests]

    busy = [answer for answer in answers if answer["type"] == "error"]
    assert busy, answers
    assert {answer["code"] for answer in busy} == {"server_busy"}
    assert any(answer["type"] == "joined" for answer in answers)
    for guest in guests:
        await guest.close()
