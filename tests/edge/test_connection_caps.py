"""The total connection cap and the WebSocket cap: new connections are refused, open ones live."""

from __future__ import annotations

import asyncio
import resource
import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import websockets
from websockets.exceptions import InvalidStatus

from tests.conftest import RunningServer, ServerFactory, free_port, wait_until
from tests.server_process import GLIMPSE_SERVE, serve_in_a_process, server_environment

HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"


async def status_of_a_new_connection(server: RunningServer) -> tuple[int, asyncio.StreamWriter]:
    """Open a TCP connection, ask for /healthz, return the status (0: closed without one)."""
    reader, writer = await asyncio.open_connection(server.settings.host, server.settings.port)
    writer.write(HEALTHZ)
    async with asyncio.timeout(20):
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            return 0, writer
    return int(head.split(b" ", 2)[1]), writer


async def test_websockets_over_the_cap_are_refused_and_http_still_answers(
    start_server: ServerFactory,
) -> None:
    server = await start_server(max_websockets=3)
    users = [await server.register() for _ in range(4)]
    sockets = [await server.connect(user) for user in users[:3]]
    with pytest.raises(InvalidStatus) as refused:
        await websockets.connect(server.ws_url)
    assert refused.value.response.status_code == 503
    assert b"WebSocket limit" in refused.value.response.body
    assert (await server.http.get("/healthz")).status_code == 200
    login = await server.http.post(
        "/api/auth/login", json={"email": users[3].profile["email"], "password": "correct horse"}
    )
    assert login.status_code == 200
    await sockets[0].close()

    async def a_slot_is_free() -> bool:  # once the server has seen the socket go
        try:
            await (await server.connect(users[3])).close()
        except InvalidStatus:
            return False
        return True

    await wait_until(a_slot_is_free, 20, "the closed socket's slot never came back")


async def test_websockets_leave_connections_for_http(start_server: ServerFactory) -> None:
    """With 30 connections, WebSockets get 30 - 15 of them (the headroom is 16, or half of a
    cap below 32): once they are all open, /healthz and a log-in still answer."""
    server = await start_server(max_connections=30, max_sockets_per_user=100, request_timeout=60)
    user = await server.register()
    sockets = []
    async with asyncio.timeout(120):
        while True:
            try:
                sockets.append(await server.connect(user))
            except InvalidStatus as refused:
                assert refused.response.status_code == 503
                assert b"WebSocket limit" in refused.response.body
                break
    assert len(sockets) == 15
    assert (await status_of_a_new_connection(server))[0] == 200
    async with httpx.AsyncClient(base_url=server.base_url, timeout=20) as newcomer:
        login = await newcomer.post(
            "/api/auth/login", json={"email": user.profile["email"], "password": "correct horse"}
        )
    assert login.status_code == 200, login.text


async def test_connections_over_the_cap_get_503_and_open_ones_still_answer(
    start_server: ServerFactory,
) -> None:
    cap = 8
    server = await start_server(max_connections=cap, request_timeout=60)
    user = await server.register()  # its client keeps one connection open
    assert (await server.http.get("/healthz")).status_code == 200  # and this one
    opened: list[asyncio.StreamWriter] = []
    statuses: list[int] = []
    for _ in range(cap + 3):
        status, writer = await status_of_a_new_connection(server)
        statuses.append(status)
        opened.append(writer)
    assert statuses[: cap - 2] == [200] * (cap - 2)
    assert statuses[cap - 2 :] == [503] * 5
    # Connections that were open before still get answers.
    assert (await server.http.get("/healthz")).status_code == 200
    assert (await user.http.get("/api/users/me", headers=user.headers)).status_code == 200
    opened[0].close()

    async def a_place_is_free() -> bool:  # once the server has seen the connection go
        status, writer = await status_of_a_new_connection(server)
        writer.close()
        return status == 200

    await wait_until(a_place_is_free, 20, "the closed connection's place never came back")


async def flood(server: RunningServer, count: int) -> tuple[list[asyncio.StreamWriter], int]:
    """Open `count` connections at once that send nothing; returns them and how many the server
    refused (closed, after a 503, without waiting for a request)."""

    async def one() -> tuple[asyncio.StreamWriter | None, bool]:
        try:
            reader, writer = await asyncio.open_connection(
                server.settings.host, server.settings.port
            )
        except OSError:  # the backlog is full: refused too
            return None, True
        try:
            async with asyncio.timeout(3):
                answer = await reader.read()
        except TimeoutError:
            return writer, False  # held open by the server
        except ConnectionError:
            return writer, True
        assert answer.startswith(b"HTTP/1.1 503 ") or answer == b""
        return writer, True

    results = await asyncio.gather(*(one() for _ in range(count)))
    writers = [writer for writer, _ in results if writer is not None]
    return writers, sum(refused for _, refused in results)


async def test_a_connection_flood_is_refused_before_file_descriptors_run_out(
    tmp_path: Path,
) -> None:
    """With 400 open files and 150 kept in reserve, a flood of 1,000 connections is refused
    beyond 250, while a WebSocket opened before still chats and the process never hits EMFILE."""
    async with serve_in_a_process(
        GLIMPSE_SERVE, tmp_path, open_file_limit(400, 400),
        fd_reserve="150", request_timeout="60",
    ) as server:  # fmt: skip
        a, b, _ = await server.ann_and_bob_in_a_room()
        held, refused = await flood(server, 1000)
        try:
            assert refused >= 1000 - 250
            await a.chat("during the flood")
            assert (await b.expect("chat"))["message"]["text"] == "during the flood"
        finally:
            for writer in held:
                writer.close()
        await wait_until(server.healthy, 20, "no answer after the flood")
        await b.chat("after the flood")
        assert (await a.expect("chat"))["message"]["text"] == "after the flood"
        output = server.log.read_text()
        assert "Too many open files" not in output, output
        assert "refused" in output and "over the cap" in output


def open_file_limit(soft: int, hard: int) -> Callable[[], None]:
    """A pre-exec hook that sets the child's RLIMIT_NOFILE."""
    return lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


async def test_the_soft_open_file_limit_is_raised_to_fit_the_cap(tmp_path: Path) -> None:
    async with serve_in_a_process(
        GLIMPSE_SERVE, tmp_path, open_file_limit(300, 2000),
        max_connections="1000", fd_reserve="100",
    ) as server:  # fmt: skip
        log = server.log.read_text()
    assert "raised the open-file limit from 300 to 1100" in log
    assert "at most 1000 connections" in log


async def test_a_limit_that_leaves_nothing_for_connections_stops_the_start(
    tmp_path: Path,
) -> None:
    log = tmp_path / "server.log"
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            *GLIMPSE_SERVE, "--port", str(free_port()), "--data-dir", str(tmp_path / "data"),
            env=server_environment(), stdout=output, stderr=subprocess.STDOUT,
            preexec_fn=open_file_limit(200, 200),
        )  # fmt: skip
    async with asyncio.timeout(30):
        assert await process.wait() != 0
    assert "leaves nothing for connections beyond GLIMPSE_FD_RESERVE (256)" in log.read_text()
