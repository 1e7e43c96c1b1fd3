"""Password hashing is shared by everyone: one account cannot hold it (rooms with a password and
password changes are limited per user), and a busy server does not use up a log-in budget."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

from tests.api.test_rate_limits import assert_rate_limited, log_in
from tests.conftest import ServerFactory, User

HOLD = "hold the hashing"
"""A room password whose hash waits until the test lets it go (see `held_hashing`)."""


class HeldHashing:
    """Hashes of HOLD wait on their hashing thread, holding their turn, until `release()`."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.released = threading.Event()

    async def wait_until_held(self) -> None:
        assert await asyncio.to_thread(self.entered.wait, 20), "no hash of HOLD started"

    def release(self) -> None:
        self.released.set()


@pytest.fixture
def held_hashing(monkeypatch: pytest.MonkeyPatch) -> Iterator[HeldHashing]:
    held = HeldHashing()
    original = PasswordHasher.hash

    def hash_(self: PasswordHasher, password: str | bytes, **options: Any) -> str:
        if password == HOLD:
            held.entered.set()
            held.released.wait(60)
        return original(self, password, **options)

    monkeypatch.setattr(PasswordHasher, "hash", hash_)
    yield held
    held.release()  # never leave a hashing thread waiting


async def create_room(client: httpx.AsyncClient, owner: User, password: str) -> httpx.Response:
    return await client.post(
        "/api/rooms", json={"name": "Room", "password": password}, headers=owner.headers
    )


async def test_a_flood_of_rooms_with_a_password_is_limited_and_others_still_log_in(
    start_server: ServerFactory,
) -> None:
    """One hashing at a time and four waiting: the flood gets three turns, then 429s, and
    Ann's log-in during the flood finds a turn."""
    server = await start_server(
        password_hash_concurrency=1,
        password_hash_queue=4,
        password_hash_wait=60,
        room_with_password_limit_per_user="3/hour",
    )
    ann, mallory = await server.register("Ann"), await server.register("Mallory")
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as flooder:
        flood = [
            asyncio.create_task(create_room(flooder, mallory, f"password {n}")) for n in range(40)
        ]
        ann_log_in = await log_in(server.http, ann.profile["email"], "correct horse")
        answers = await asyncio.gather(*flood)
    assert ann_log_in.status_code == 200, ann_log_in.text
    codes = [answer.status_code for answer in answers]
    assert codes.count(201) == 3, codes
    assert codes.count(429) == 37, codes
    assert_rate_limited(next(answer for answer in answers if answer.status_code == 429))
    without_password = await server.http.post(
        "/api/rooms", json={"name": "Open room"}, headers=mallory.headers
    )
    assert without_password.status_code == 201  # no hash, no limit


async def test_password_changes_are_limited_per_user_right_or_wrong(
    start_server: ServerFactory,
) -> None:
    server = await start_server(password_change_limit_per_user="2/hour")
    ann, bob = await server.register("Ann"), await server.register("Bob")

    async def change(user: User, current: str) -> httpx.Response:
        return await server.http.patch(
            "/api/users/me",
            json={"password": "a brand new horse", "current_password": current},
            headers=user.headers,
        )

    assert (await change(ann, "guess 1")).status_code == 401
    assert (await change(ann, "guess 2")).status_code == 401
    assert_rate_limited(await change(ann, "correct horse"))
    renamed = await server.http.patch(
        "/api/users/me", json={"display_name": "Annie"}, headers=ann.headers
    )
    assert renamed.status_code == 200  # no password, no limit
    assert (await change(bob, "correct horse")).status_code == 200
    assert (await log_in(server.http, ann.profile["email"], "correct horse")).status_code == 200


async def test_a_busy_server_does_not_use_up_the_accounts_log_in_budget(
    start_server: ServerFactory, held_hashing: HeldHashing
) -> None:
    server = await start_server(
        password_hash_concurrency=1,
        password_hash_queue=0,
        password_hash_wait=60,
        login_limit_per_account="2/hour",
    )
    ann, owner = await server.register("Ann"), await server.register("Owner")
    email = ann.profile["email"]
    holding = asyncio.create_task(create_room(server.http, owner, HOLD))
    await held_hashing.wait_until_held()
    for _ in range(3):
        busy = await log_in(server.http, email, "correct horse")
        assert busy.status_code == 503, busy.text
        assert busy.json()["error"]["code"] == "server_busy"
    held_hashing.release()
    assert (await holding).status_code == 201
    assert (await log_in(server.http, email, "wrong guess")).status_code == 401
    assert (await log_in(server.http, email, "correct horse")).status_code == 200
