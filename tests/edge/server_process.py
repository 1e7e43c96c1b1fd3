"""A Glimpse server in a process of its own, started by a command line, for edge tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx

from glimpse.settings import Settings
from tests.cluster.conftest import wait_until
from tests.conftest import RunningServer, free_port

BIN = Path(sys.executable).parent


class ServerProcess(RunningServer):
    def __init__(self, port: int, log: Path, process: asyncio.subprocess.Process) -> None:
        super().__init__(Settings(host="127.0.0.1", port=port))
        self.log = log
        self.process = process

    async def healthy(self) -> bool:
        """It runs and answers /healthz."""
        assert self.process.returncode is None, self.log.read_text()
        with contextlib.suppress(httpx.TransportError):
            return (await self.http.get("/healthz")).status_code == 200
        return False


@contextlib.asynccontextmanager
async def serve_in_a_process(
    command: list[str],
    folder: Path,
    preexec_fn: Callable[[], None] | None = None,
    **settings: str,
) -> AsyncIterator[ServerProcess]:
    """Run `command` (+ `--port N` appended) with GLIMPSE_* settings until it answers /healthz."""
    port = free_port()
    log = folder / "server.log"
    env = {
        **os.environ,
        "GLIMPSE_HOST": "127.0.0.1",
        "GLIMPSE_PORT": str(port),
        "GLIMPSE_DATA_DIR": str(folder / "data"),
        **{f"GLIMPSE_{name.upper()}": value for name, value in settings.items()},
    }
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            *command, "--port", str(port), env=env, stdout=output, stderr=subprocess.STDOUT,
            preexec_fn=preexec_fn,
        )  # fmt: skip
    server = ServerProcess(port, log, process)
    try:
        await wait_until(server.healthy, 30, "the server did not start")
        yield server
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()
        await server.http.aclose()
