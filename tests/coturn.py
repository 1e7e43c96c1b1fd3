"""coturn on loopback with the repository's config (deploy/turnserver.conf), loopback peers
allowed, as the TURN tests and the bad-network browser tests run it."""

from __future__ import annotations

import contextlib
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import free_port

CONFIG = Path(__file__).resolve().parents[1] / "deploy" / "turnserver.conf"
STARTUP_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class Coturn:
    port: int
    secret: str
    tls_port: int | None = None
    """TURN over TLS (a self-signed certificate for 127.0.0.1), when asked for."""


def turn_only_environment(coturn: Coturn, port: int) -> dict[str, str]:
    """The GLIMPSE_* variables of a Glimpse handing out TURN at 127.0.0.1:`port` (this coturn,
    or a proxy in front of it) as the only way for media."""
    return {
        "GLIMPSE_ICE_SERVERS": f"turn:127.0.0.1:{port}?transport=udp",
        "GLIMPSE_TURN_SECRET": coturn.secret,
        "GLIMPSE_ICE_TRANSPORT_POLICY": "relay",
    }


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate and its key for 127.0.0.1, valid for a day."""
    cert, key = folder / "turn.crt", folder / "turn.key"
    openssl = shutil.which("openssl")
    assert openssl, "openssl is not installed"
    subprocess.run(  # noqa: S603 (openssl, with arguments of our own)
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@contextlib.contextmanager
def running_coturn(
    folder: Path, *, tls: bool = False, relay_ip: str = "127.0.0.1"
) -> Iterator[Coturn]:
    """Start coturn on a free port with a fresh secret (and TLS on another, with `tls`), relaying
    from `relay_ip`; its log is `folder`/coturn.log."""
    binary = shutil.which("turnserver")
    assert binary, "coturn is not installed: apt-get install coturn (.ci/services.sh does)"
    server = Coturn(free_port(), secrets.token_urlsafe(32), free_port() if tls else None)
    if server.tls_port is None:
        secure = ["--no-tls"]
    else:
        cert, key = self_signed_certificate(folder)
        secure = [f"--tls-listening-port={server.tls_port}", f"--cert={cert}", f"--pkey={key}"]
    log = folder / "coturn.log"
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 (coturn, with arguments of our own)
            [binary, "-c", str(CONFIG), f"--static-auth-secret={server.secret}",
             "--listening-ip=127.0.0.1", f"--relay-ip={relay_ip}", "--relay-ip=::1",
             f"--listening-port={server.port}", *secure,
             "--allow-loopback-peers", f"--pidfile={folder / 'turnserver.pid'}",
             f"--db={folder / 'turndb'}"],
            stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", server.port)):
                if server.tls_port is None:
                    break
                with socket.create_connection(("127.0.0.1", server.tls_port)):
                    break
            assert time.monotonic() < deadline, f"coturn did not start:\n{log.read_text()}"
            time.sleep(0.05)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def outward_address() -> str:
    """This machine's address on its default route (no packet is sent): where a server that
    skips loopback, as Janus does, has its candidates."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("198.51.100.1", 9))
        return str(probe.getsockname()[0])
