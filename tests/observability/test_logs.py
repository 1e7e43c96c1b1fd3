"""Log lines: JSON when configured, with the connection's fields; the audit log's events."""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from glimpse.observability.logs import LogFormat, log_handler
from tests.conftest import RunningServer, ServerFactory
from tests.server_process import GLIMPSE_SERVE, serve_in_a_process


class Lines:
    """What the server logged, through the handler `glimpse serve` installs."""

    def __init__(self, stream: io.StringIO) -> None:
        self._stream = stream

    def json(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self._stream.getvalue().splitlines()]

    def audit(self, event: str) -> list[dict[str, Any]]:
        return [line for line in self.json() if line.get("audit") == event]

    def text(self) -> list[str]:
        return self._stream.getvalue().splitlines()


@contextlib.contextmanager
def captured(log_format: LogFormat) -> Iterator[Lines]:
    stream = io.StringIO()
    handler = log_handler(log_format, stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield Lines(stream)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@pytest.fixture
def lines() -> Iterator[Lines]:
    with captured("json") as lines:
        yield lines


async def test_json_lines_about_a_socket_carry_its_address_user_room_and_participant(
    server: RunningServer, lines: Lines
) -> None:
    a, b, room = await server.ann_and_bob_in_a_room()
    await a.close()
    await b.expect("participant-left")
    parsed = lines.json()
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in parsed)
    joins = [line for line in parsed if line["message"] == "joined the room"]
    assert [(line["room"], line["participant"]) for line in joins] == [
        (room["id"], room["ann"]),
        (room["id"], room["bob"]),
    ]
    assert joins[0]["user"] == room["owner_id"]
    assert {line["client"] for line in joins} == {"127.0.0.1"}
    left = next(line for line in parsed if line["message"] == "left the room")
    assert (left["user"], left["room"], left["participant"]) == (
        room["owner_id"], room["id"], room["ann"],
    )  # fmt: skip
    closed = next(line for line in parsed if line["message"] == "connection closed")
    assert closed["user"] == room["owner_id"] and "room" not in closed


async def test_text_lines_carry_the_fields_too(server: RunningServer) -> None:
    with captured("text") as lines:
        _, _, room = await server.ann_and_bob_in_a_room()
    joined = [line for line in lines.text() if "joined the room" in line]
    assert f"room={room['id']}" in joined[0] and f"participant={room['ann']}" in joined[0]
    assert "client=127.0.0.1" in joined[0]


async def test_a_failed_log_in_is_audited_with_the_email_and_address(
    server: RunningServer, lines: Lines
) -> None:
    ann = await server.register("Ann")
    response = await server.http.post(
        "/api/auth/login", json={"email": ann.profile["email"], "password": "wrong password"}
    )
    assert response.status_code == 401
    [line] = lines.audit("failed_login")
    assert (line["email"], line["client"], line["logger"]) == (
        ann.profile["email"], "127.0.0.1", "glimpse.audit",
    )  # fmt: skip


async def test_what_a_client_sends_cannot_forge_a_text_line(server: RunningServer) -> None:
    forged = "x@example.org\n2026-11-30 16:00:00,000 WARNING glimpse.audit session revoked"
    with captured("text") as lines:
        response = await server.http.post(
            "/api/auth/login", json={"email": forged, "password": "wrong password"}
        )
        await server.http.post("/api/auth/login", json={"email": "a b=c", "password": "wrong"})
    assert response.status_code == 401
    assert not [line for line in lines.text() if line.startswith("2026-11-30 16:00:00")]
    assert [line for line in lines.text() if 'email="a b=c"' in line]


async def test_log_out_and_refresh_token_reuse_are_audited(
    server: RunningServer, lines: Lines
) -> None:
    ann = await server.register("Ann")
    first_cookie = ann.http.cookies["glimpse_refresh"]
    assert (await ann.http.post("/api/auth/refresh")).status_code == 200
    async with httpx.AsyncClient(
        base_url=server.base_url, cookies={"glimpse_refresh": first_cookie}
    ) as thief:
        assert (await thief.post("/api/auth/refresh")).status_code == 401
    [reuse] = lines.audit("refresh_token_reused")
    assert reuse["user"] == ann.id and reuse["session"]

    bob = await server.register("Bob")
    assert (await bob.http.post("/api/auth/logout")).status_code == 204
    [revoked] = lines.audit("session_revoked")
    assert revoked["user"] == bob.id and "log-out" in revoked["message"]


async def test_a_refused_signal_is_audited_with_the_sender(
    server: RunningServer, lines: Lines
) -> None:
    a, _, room = await server.ann_and_bob_in_a_room()
    await a.send({"type": "signal", "to": "someone-elsewhere", "kind": "candidate"})
    assert (await a.expect("error"))["code"] == "unknown_participant"
    [line] = lines.audit("refused_signal")
    assert (line["to"], line["room"], line["participant"], line["user"]) == (
        "someone-elsewhere", room["id"], room["ann"], room["owner_id"],
    )  # fmt: skip


async def test_a_rate_limit_close_is_audited(start_server: ServerFactory, lines: Lines) -> None:
    server = await start_server(chat_rate=1, chat_burst=1, rate_limit_strikes=2)
    a, _, room = await server.ann_and_bob_in_a_room()
    for number in range(10):
        with contextlib.suppress(websockets.ConnectionClosed):
            await a.send({"type": "chat", "client_id": f"f{number}", "text": "spam"})
    assert await a.close_code() == 4429
    [line] = lines.audit("rate_limit_close")
    assert (line["user"], line["room"], line["participant"]) == (
        room["owner_id"], room["id"], room["ann"],
    )  # fmt: skip


async def test_glimpse_serve_writes_every_line_as_json_uvicorns_too(tmp_path: Path) -> None:
    async with serve_in_a_process(
        GLIMPSE_SERVE, tmp_path, log_format="json", database_url="", bus_url="memory://"
    ) as server:
        login = {"email": "nobody@example.org", "password": "not the password"}
        assert (await server.http.post("/api/auth/login", json=login)).status_code == 401
    parsed = [json.loads(line) for line in server.log.read_text().splitlines()]
    assert any(
        line["logger"] == "uvicorn.error" and line["message"] == "Application startup complete."
        for line in parsed
    )
    assert any(line["logger"] == "uvicorn.access" for line in parsed)
    audited = [line for line in parsed if line.get("audit") == "failed_login"]
    assert [(line["email"], line["client"]) for line in audited] == [
        ("nobody@example.org", "127.0.0.1")
    ]
