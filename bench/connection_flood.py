"""A connection flood against one `glimpse serve`: what an attacker's idle and slow sockets cost.

    .venv/bin/python -m bench.connection_flood [--checkout DIR] [--silent N] [--slow N] [--nofile N]

The server runs with a file-descriptor limit of `--nofile` (as a small VPS might). The flood opens
`--silent` TCP connections that never send a byte and `--slow` ones that send an HTTP request one
byte a second. Meanwhile a user who was already in a room chats, and a new user signs in and
loads the page; the report gives their latencies, whether they succeeded, the server's memory and
descriptors, and how many flood sockets the server had closed by the end. `--checkout` runs the
server from another checkout (for a before/after comparison on the same machine).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import websockets

from bench.glimpse_process import REPO_DIR, memory_mib, open_files, start_glimpse, wait_ready
from bench.servers import free_port

PASSWORD = "a long enough bench password"  # noqa: S105 (a throwaway account)


async def _sign_up(http: httpx.AsyncClient, name: str) -> str:
    response = await http.post(
        "/api/auth/register",
        json={"email": f"{name}@example.org", "display_name": name, "password": PASSWORD},
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


async def _closed_by_server(reader: asyncio.StreamReader) -> bool:
    """Whether the server has closed the connection (after whatever answer it sent)."""
    try:
        async with asyncio.timeout(0.05):
            while await reader.read(65536):
                pass
    except TimeoutError:
        return False
    except OSError:  # reset
        return True
    return True


Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def _open_silent(port: int, count: int) -> tuple[list[Connection], int]:
    """Connect `count` times and never send; the connections, and how many connects failed."""
    connections, failed = [], 0
    for _ in range(count):
        try:
            connections.append(await asyncio.open_connection("127.0.0.1", port))
        except OSError:
            failed += 1
    return connections, failed


async def _slow_sender(port: int, stop: asyncio.Event) -> bool:
    """Send a request a byte a second; True when the server closed the connection on us."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return True
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 200
    with contextlib.suppress(OSError):
        for byte in request:
            if stop.is_set():
                writer.close()
                return False
            writer.write(bytes([byte]))
            await writer.drain()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    if not await reader.read(1024):
                        return True
    writer.close()
    return True


async def _probe(base_url: str, ws_url: str, token: str, room: str, out: dict[str, Any]) -> None:
    """Every half second: a chat round trip of the seated user, a page load and a log-in."""
    chat_ms: list[float] = []
    page_ms: list[float] = []
    failures: dict[str, int] = {"chat": 0, "page": 0, "login": 0}
    async with websockets.connect(ws_url) as ws:
        await ws.send(json.dumps({"type": "auth", "token": token}))
        await ws.send(json.dumps({"type": "join", "room": room}))
        while json.loads(await ws.recv())["type"] != "joined":
            pass
        deadline = time.monotonic() + out["seconds"]
        counter = 0
        while time.monotonic() < deadline:
            async with httpx.AsyncClient(base_url=base_url, timeout=5) as http:  # a new visitor
                counter += 1
                start = time.perf_counter()
                try:
                    await ws.send(
                        json.dumps({"type": "chat", "client_id": f"c{counter}", "text": "hi"})
                    )
                    async with asyncio.timeout(5):
                        while json.loads(await ws.recv())["type"] != "ack":
                            pass
                    chat_ms.append((time.perf_counter() - start) * 1000)
                except (TimeoutError, websockets.ConnectionClosed):
                    failures["chat"] += 1
                start = time.perf_counter()
                try:
                    (await http.get("/")).raise_for_status()
                    page_ms.append((time.perf_counter() - start) * 1000)
                except httpx.HTTPError:
                    failures["page"] += 1
                try:
                    response = await http.post(
                        "/api/auth/login",
                        json={"email": "seated@example.org", "password": PASSWORD},
                    )
                    response.raise_for_status()
                except httpx.HTTPError:
                    failures["login"] += 1
                await asyncio.sleep(0.5)
    out.update(
        chat_p50_ms=statistics.median(chat_ms) if chat_ms else None,
        chat_max_ms=max(chat_ms) if chat_ms else None,
        page_p50_ms=statistics.median(page_ms) if page_ms else None,
        page_max_ms=max(page_ms) if page_ms else None,
        failures=failures,
    )


async def flood(
    checkout: Path, silent: int, slow: int, nofile: int, seconds: float
) -> dict[str, Any]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    port = free_port()
    base_url, ws_url = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/ws"
    with tempfile.TemporaryDirectory() as data_dir:
        process = start_glimpse(checkout, Path(data_dir), port, nofile=nofile)
        try:
            await wait_ready(base_url, process)
            async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
                token = await _sign_up(http, "seated")
                response = await http.post(
                    "/api/rooms",
                    json={"name": "Flood"},
                    headers={"Authorization": f"Bearer {token}"},
                )
                room = response.json()["code"]
            rss_before = memory_mib(process.pid)
            result: dict[str, Any] = {
                "checkout": str(checkout),
                "seconds": seconds,
                "nofile": nofile,
            }
            stop = asyncio.Event()
            probe = asyncio.create_task(_probe(base_url, ws_url, token, room, result))
            slow_tasks = [asyncio.create_task(_slow_sender(port, stop)) for _ in range(slow)]
            silent_sockets, result["silent_connect_failures"] = await _open_silent(port, silent)
            await asyncio.sleep(1)
            result["server_fds_during"] = open_files(process.pid)
            result["server_rss_mib_growth"] = memory_mib(process.pid) - rss_before
            await probe
            closed = [_closed_by_server(reader) for reader, _ in silent_sockets]
            result["silent_closed_by_server"] = sum(await asyncio.gather(*closed))
            stop.set()
            result["slow_closed_by_server"] = sum(await asyncio.gather(*slow_tasks))
            result["server_fds_after"] = open_files(process.pid)
            for _, writer in silent_sockets:
                writer.close()
            return result
        finally:
            process.terminate()
            process.wait(10)
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkout", type=Path, default=REPO_DIR, help="the Glimpse to run")
    parser.add_argument("--silent", type=int, default=1500)
    parser.add_argument("--slow", type=int, default=100)
    parser.add_argument("--nofile", type=int, default=1024)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    result = asyncio.run(
        flood(args.checkout.resolve(), args.silent, args.slow, args.nofile, args.seconds)
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
