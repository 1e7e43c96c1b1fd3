"""`glimpse serve` from a given checkout as a subprocess, for the attack benches
(`login_storm.py`, `connection_flood.py`): the same machine, another version of the code."""

from __future__ import annotations

import asyncio
import os
import resource
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

REPO_DIR = Path(__file__).resolve().parent.parent
START_TIMEOUT = 30.0


def start_glimpse(
    checkout: Path,
    data_dir: Path,
    port: int,
    *,
    nofile: int | None = None,
    settings: Mapping[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Serve `checkout`'s code on `port` with a fresh data folder and this checkout's web client;
    `nofile` limits its open files (as a small VPS might); `settings` are GLIMPSE_* overrides."""
    env = {
        **os.environ,
        "PYTHONPATH": str(checkout),
        "GLIMPSE_DATA_DIR": str(data_dir),
        "GLIMPSE_ICE_SERVERS": "",
        "GLIMPSE_WEB_DIR": str(REPO_DIR / "web" / "dist"),
        **(settings or {}),
    }

    def limit_open_files() -> None:
        if nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    command = [sys.executable, "-m", "glimpse", "serve", "--port", str(port)]
    return subprocess.Popen(  # noqa: S603 (our own server)
        command,
        cwd=checkout,
        env=env,
        preexec_fn=limit_open_files,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def wait_ready(base_url: str, server: subprocess.Popen[bytes]) -> None:
    """Until `/healthz` answers; raise if the server exits or takes longer than START_TIMEOUT."""
    deadline = time.monotonic() + START_TIMEOUT
    async with httpx.AsyncClient(base_url=base_url, timeout=2) as client:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError(f"the server exited with code {server.returncode}")
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise TimeoutError("the server did not start")


def memory_mib(pid: int, field: str = "VmRSS") -> float:
    """A memory figure of the process from /proc (VmRSS now, VmHWM its peak so far), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc: Linux only")


def open_files(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))
