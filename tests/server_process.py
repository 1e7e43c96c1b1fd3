"""A Glimpse server in a process of its own, started by a command line; what it prints (stdout
and stderr) goes to a log file, so it never blocks on a full pipe."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx

from glimpse.settings import Settings
from tests.conftest import RunningServer, free_port, limits_environment, wait_until

BIN = Path(sys.executable).parent
GLIMPSE_SERVE = [str(BIN / "glimpse"), "serve"]
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


def server_environment(**variables: str) -> dict[str, str]:
    """The environment of a server process: this venv's commands on the PATH, the generous
    rate limits, and `variables` (GLIMPSE_* settings and the like); nothing else leaks in."""
    return {
        "PATH": f"{BIN}:/usr/sbin:/usr/bin:/sbin:/bin",
        **limits_environment(),
        **variables,
    }


class ServerProcess(RunningServer):
    def __init__(self, port: int, log: Path, process: asyncio.subprocess.Process) -> None:
        super().__init__(Settings(host="127.0.0.1", port=port))
        self.log = log
        self.process = process

    async def _answers(self, path: str) -> bool:
        assert self.process.returncode is None, f"the server exited:\n{self.log.read_text()}"
        with contextlib.suppress(httpx.TransportError):
            return (await self.http.get(path)).status_code == 200
        return False

    async def healthy(self) -> bool:
        """It runs and answers /healthz."""
        return await self._answers("/healthz")

    async def ready(self) -> bool:
        """It runs and answers /readyz with 200 (database and bus reachable)."""
        return await self._answers("/readyz")

    async def wait_ready(self) -> None:
        await wait_until(self.ready, STARTUP_TIMEOUT, f"not ready:\n{self.log.read_text()}")

    async def kill(self) -> None:
        """kill -9: no cleanup, no goodbye to the bus."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> None:
        """Terminate it (kill it if it lingers) and wait until it has exited."""
        if self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), STOP_TIMEOUT)
            except TimeoutError:
                await self.kill()
        await self.http.aclose()


async def start_server_process(
    command: list[str],
    folder: Path,
    preexec_fn: Callable[[], None] | None = None,
    environment: dict[str, str] | None = None,
    **settings: str,
) -> ServerProcess:
    """Run `command` (+ `--port N` appended) with `environment` and GLIMPSE_* `settings`, its
    data and its log (`server.log`) in `folder`, until it answers /healthz."""
    port = free_port()
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    log = folder / "server.log"
    env = {
        **server_environment(),
        **(environment or {}),
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
        await wait_until(server.healthy, STARTUP_TIMEOUT, "the server did not start")
    except BaseException:
        await server.stop()
        raise
    return server


@contextlib.asynccontextmanager
async def serve_in_a_process(
    command: list[str],
    folder: Path,
    preexec_fn: Callable[[], None] | None = None,
    **settings: str,
) -> AsyncIterator[ServerProcess]:
    """A server process (see `start_server_process`) stopped however the block ends."""
    server = await start_server_process(
        command, folder, preexec_fn=preexec_fn, environment=None, **settings
    )
    try:
        yield server
    finally:
        await server.stop()
