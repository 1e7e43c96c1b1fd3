"""A real Janus for tests, started by the repository's own script (deploy/janus/start.sh) on a free
WebSocket port and its own RTP port range, with a temporary config folder and fresh secrets."""

from __future__ import annotations

import contextlib
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from glimpse.sfu.janus import JanusSession, Probing
from glimpse.sfu.registry import VIDEOROOM
from tests.conftest import free_port

START_SCRIPT = Path(__file__).resolve().parents[1] / "deploy" / "janus" / "start.sh"
STARTUP_TIMEOUT = 10.0
RTP_PORTS = 200
"""UDP ports per Janus: a few per peer connection, plenty for a test's rooms."""
PROBING = Probing(interval=2.0, timeout=1.0, misses=2)
"""As Glimpse probes a Janus by default (GLIMPSE_JANUS_PROBE_*)."""


@dataclass(frozen=True, slots=True)
class Janus:
    url: str
    api_secret: str
    admin_key: str
    rtp_ports: tuple[int, int]
    process: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        """Kill Janus at once (SIGKILL), as a crash would."""
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def hang(self) -> None:
        """Stop Janus (SIGSTOP): its sockets stay open and nothing answers, as on a hung process
        or a machine gone without closing its connections."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Let a hung Janus run again (SIGCONT)."""
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGCONT)


def rtp_range() -> tuple[int, int]:
    """A random range of UDP ports (runs of several Janus rarely share one)."""
    start = random.randrange(30000, 60000 - RTP_PORTS, RTP_PORTS)
    return start, start + RTP_PORTS - 1


def glimpse_environment(*servers: Janus) -> dict[str, str]:
    """The GLIMPSE_* variables of a Glimpse using these Janus (started with the same secrets)."""
    return {
        "GLIMPSE_JANUS_URLS": ",".join(server.url for server in servers),
        "GLIMPSE_JANUS_API_SECRET": servers[0].api_secret,
        "GLIMPSE_JANUS_ADMIN_KEY": servers[0].admin_key,
    }


@contextlib.contextmanager
def running_janus(
    folder: Path, secrets_of: Janus | None = None, port: int | None = None
) -> Iterator[Janus]:
    """Start Janus with only the videoroom plugin and the WebSocket transport on 127.0.0.1 (on
    `port`, or a free one), with fresh secrets (or those of `secrets_of`: a second Janus of the
    same Glimpse, or the same one restarted); its config and log are in `folder`. Stopped
    (SIGTERM, then SIGKILL) on exit."""
    assert shutil.which("janus"), (
        "janus is not installed: apt-get install janus (.ci/services.sh does)"
    )
    port = port or free_port()
    config = folder / f"janus-{port}-{secrets.token_hex(4)}"
    config.mkdir(parents=True)
    low, high = rtp_range()
    environment = {
        **os.environ,
        "GLIMPSE_JANUS_API_SECRET": secrets_of.api_secret
        if secrets_of
        else secrets.token_urlsafe(32),
        "GLIMPSE_JANUS_ADMIN_KEY": secrets_of.admin_key
        if secrets_of
        else secrets.token_urlsafe(32),
        "JANUS_WS_PORT": str(port),
        "JANUS_RTP_PORTS": f"{low}-{high}",
        "JANUS_CONFIG_DIR": str(config),
        "JANUS_DEBUG_LEVEL": os.environ.get("JANUS_DEBUG_LEVEL", "4"),
    }
    log = config / "janus.log"
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 (our own script)
            [str(START_SCRIPT)], env=environment, stdout=output, stderr=subprocess.STDOUT
        )
    janus = Janus(
        f"ws://127.0.0.1:{port}",
        environment["GLIMPSE_JANUS_API_SECRET"],
        environment["GLIMPSE_JANUS_ADMIN_KEY"],
        (low, high),
        process,
        log,
    )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                break
            assert process.poll() is None, f"Janus exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"Janus did not start:\n{log.read_text()}"
            time.sleep(0.05)
        yield janus
    finally:
        if process.poll() is None:
            janus.resume()  # a hung Janus would not hear the SIGTERM
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                janus.kill()


async def janus_rooms(server: Janus) -> set[int]:
    """The rooms on that Janus, private ones included (listed with its admin key)."""
    session = await JanusSession.connect(server.url, server.api_secret, probing=PROBING)
    try:
        look = await session.attach(VIDEOROOM)
        listed = await look.request({"request": "list", "admin_key": server.admin_key})
        return {int(room["room"]) for room in listed.data["list"]}
    finally:
        await session.close()
