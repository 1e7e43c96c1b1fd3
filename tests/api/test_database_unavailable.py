"""REST answers 503 `database_unavailable` while the database cannot be reached, and recovers."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pymongo.errors import ServerSelectionTimeoutError

from glimpse.store import StoreUnavailable, open_store
from tests.conftest import ServerFactory
from tests.store.conftest import postgresql_url

__all__ = ["postgresql_url"]  # a fixture, used by name

OUTAGE_TIMEOUT = 30.0


class TcpProxy:
    """Forwards connections to a target address until `cut`: then it drops every connection and
    refuses new ones, as a database host gone from the network would look."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._forward, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.transport.abort()
        await self._server.wait_closed()

    async def _forward(
        self, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter
    ) -> None:
        upstream_reader, upstream = await asyncio.open_connection(*self._target)
        self._writers |= {client, upstream}

        async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            writer.transport.abort()

        await asyncio.gather(pipe(client_reader, upstream), pipe(upstream_reader, client))


async def test_postgresql_outage_is_a_503(start_server: ServerFactory, postgresql_url: str) -> None:
    target = urlsplit(postgresql_url)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5432)
    await proxy.start()
    proxied = postgresql_url.replace(target.netloc, f"{target.username}@127.0.0.1:{proxy.port}")
    server = await start_server(database_url=proxied)
    user = await server.register()
    assert (await server.http.get("/api/users/me", headers=user.headers)).status_code == 200
    seated = await server.connect(user)
    await seated.join((await server.create_room(user))["code"])

    await proxy.cut()
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
