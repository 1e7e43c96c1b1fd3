"""deploy/turnserver.conf relays for the TURN credentials an instance hands out, and only those."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.cluster.conftest import wait_until
from tests.conftest import ServerFactory, free_port

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "turnserver.conf"


class Coturn:
    def __init__(self, port: int, secret: str) -> None:
        self.port = port
        self.secret = secret

    async def relays(self, username: str, password: str) -> bool:
        """turnutils_uclient allocates a relay with these credentials and echoes through it."""
        client = await asyncio.create_subprocess_exec(
            "turnutils_uclient", "-u", username, "-w", password, "-p", str(self.port),
            "-y", "-n", "3", "-m", "1", "-e", "127.0.0.1", "127.0.0.1",
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        output, _ = await asyncio.wait_for(client.communicate(), 30)
        return client.returncode == 0 and b"Total lost packets 0 " in output


@pytest.fixture
async def coturn(tmp_path: Path) -> AsyncIterator[Coturn]:
    """coturn on loopback with the repository's config (loopback peers allowed for the test)."""
    binary = shutil.which("turnserver")
    assert binary, "coturn is not installed: apt-get install coturn (.ci/services.sh does)"
    server = Coturn(free_port(), secrets.token_urlsafe(32))
    with (tmp_path / "coturn.log").open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            binary, "-c", str(CONFIG), f"--static-auth-secret={server.secret}",
            "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", f"--listening-port={server.port}",
            "--allow-loopback-peers", f"--pidfile={tmp_path / 'turnserver.pid'}",
            f"--db={tmp_path / 'turndb'}",
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    async def listening() -> bool:
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.close()
            return True
        return False

    try:
        await wait_until(
            listening, 10, f"coturn did not start:\n{(tmp_path / 'coturn.log').read_text()}"
        )
        yield server
    finally:
        process.terminate()
        await process.wait()


async def test_coturn_relays_for_glimpse_credentials_only(
    coturn: Coturn, start_server: ServerFactory
) -> None:
    server = await start_server(
        ice_servers=f"stun:127.0.0.1:{coturn.port},turn:127.0.0.1:{coturn.port}?transport=udp",
        turn_secret=coturn.secret,
    )
    user = await server.register()
    response = await server.http.get("/api/ice-servers", headers=user.headers)
    turn = next(entry for entry in response.json()["ice_servers"] if entry["username"])

    assert await coturn.relays(turn["username"], turn["credential"])
    assert not await coturn.relays(turn["username"], "not-the-credential")
