"""REST answers 503 `database_unavailable` while the database cannot be reached, and recovers."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pymongo.errors import ServerSelectionTimeoutError

from glimpse.store import StoreUnavailable, open_store
from tests.conftest import ServerFactory, wait_until
from tests.tcp_relay import tcp_relay

OUTAGE_TIMEOUT = 30.0
RECOVERY_TIMEOUT = 30.0
"""Seconds the server has, once the database is back, to serve requests again."""


async def test_postgresql_outage_is_a_503_and_service_comes_back(
    start_server: ServerFactory, postgresql_url: str
) -> None:
    async with tcp_relay(urlsplit(postgresql_url).port or 5432) as path_to_the_database:
        server = await start_server(database_url=path_to_the_database.url(postgresql_url))
        user = await server.register()
        assert (await server.http.get("/api/users/me", headers=user.headers)).status_code == 200
        seated = await server.connect(user)
        await seated.join((await server.create_room(user))["code"])

        path_to_the_database.cut()
        async with asyncio.timeout(OUTAGE_TIMEOUT):
            me = await server.http.get("/api/users/me", headers=user.headers)
            rooms = await server.http.get("/api/rooms", headers=user.headers)
            login = await server.http.post(
                "/api/auth/login", json={"email": user.profile["email"], "password": "whatever"}
            )

        for response in (me, rooms, login):
            assert response.status_code == 503, response.text
            assert response.json()["error"]["code"] == "database_unavailable"
            assert int(response.headers["Retry-After"]) > 0
        assert (await server.http.get("/healthz")).status_code == 200

        async with asyncio.timeout(OUTAGE_TIMEOUT):  # the socket that was in a room stays open
            await seated.send({"type": "chat", "client_id": "m1", "text": "anyone?", "ref": "c1"})
            refused = await seated.expect("error", timeout=OUTAGE_TIMEOUT)
            assert (refused["code"], refused["ref"]) == ("database_unavailable", "c1")
            await seated.send({"type": "typing", "active": True})
            await seated.nothing_more()
            newcomer = await server.connect()  # cannot authenticate: told to come back later
            await newcomer.send({"type": "auth", "token": user.token})
            assert await newcomer.close_code(timeout=OUTAGE_TIMEOUT) == 1013

        path_to_the_database.restore()

        async def served_again() -> bool:
            response = await server.http.get("/api/users/me", headers=user.headers)
            return response.status_code == 200

        await wait_until(served_again, RECOVERY_TIMEOUT, "/api/users/me still fails")
        sent = await seated.chat("back again")  # acknowledged: stored
        assert sent["text"] == "back again"
        await server.stop()  # while the relay still runs: its sessions end cleanly


async def test_an_unreachable_mongodb_raises_store_unavailable() -> None:
    store = open_store("mongodb://127.0.0.1:9/glimpse?serverSelectionTimeoutMS=200")
    with pytest.raises(StoreUnavailable) as raised:
        async with asyncio.timeout(OUTAGE_TIMEOUT):
            await store.connect()
    assert isinstance(raised.value.__cause__, ServerSelectionTimeoutError)


async def test_an_unopenable_sqlite_file_raises_store_unavailable(tmp_path: Path) -> None:
    (tmp_path / "glimpse.db").mkdir()  # a folder where the database file should be
    store = open_store(f"sqlite:///{tmp_path / 'glimpse.db'}")
    threads = set(threading.enumerate())
    with pytest.raises(StoreUnavailable, match="unable to open database file"):
        await store.connect()
    for worker in set(threading.enumerate()) - threads:  # aiosqlite's, ending on this loop
        await asyncio.to_thread(worker.join, OUTAGE_TIMEOUT)
