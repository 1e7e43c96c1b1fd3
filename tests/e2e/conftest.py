"""Real browsers against a real server: Debian's Chromium, driven by Playwright, with fake media.

Each test starts `glimpse serve` on a free port with its own data folder and short heartbeat
settings, and one Chromium in which every participant has a browser context of their own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from tests.conftest import free_port, limits_environment
from tests.coturn import Coturn, running_coturn
from tests.e2e.chromium import CHROMIUM, CHROMIUM_FLAGS
from tests.impaired_link import ImpairedLink, impaired_link
from tests.janus import Janus, glimpse_environment, running_janus

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "web" / "dist" / "index.html"
ARTIFACTS = ROOT / "artifacts" / "e2e"
GLIMPSE = str(Path(sys.executable).with_name("glimpse"))
STARTUP_TIMEOUT = 30.0

HEARTBEAT_INTERVAL = 1.0
HEARTBEAT_TIMEOUT = 4.0
"""Short, so a closed tab leaves its room within seconds."""


def _missing(what: str) -> None:
    """In CI a missing prerequisite fails the run; on a developer's machine it skips."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} (CI must run the end-to-end tests)")
    pytest.skip(what)


class GlimpseServer:
    """`glimpse serve` as a subprocess, which a test may kill and start again on the same port.

    `settings`: further GLIMPSE_* variables."""

    def __init__(self, data_dir: Path, log: Path, **settings: str) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._log = log
        self._env = {
            **os.environ,
            "GLIMPSE_HOST": "127.0.0.1",
            "GLIMPSE_PORT": str(self.port),
            "GLIMPSE_DATA_DIR": str(data_dir),
            "GLIMPSE_DATABASE_URL": "",
            "GLIMPSE_BUS_URL": "memory://",
            "GLIMPSE_ICE_SERVERS": "",  # loopback needs no STUN, and the network is closed
            "GLIMPSE_HEARTBEAT_INTERVAL": str(HEARTBEAT_INTERVAL),
            "GLIMPSE_HEARTBEAT_TIMEOUT": str(HEARTBEAT_TIMEOUT),
            **limits_environment(),
            **settings,
        }
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self._log.open("ab") as output:
            self._process = subprocess.Popen(  # noqa: S603 (the package's own command)
                [GLIMPSE, "serve"], env=self._env, stdout=output, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            assert self._process.poll() is None, f"glimpse serve exited; see {self._log}"
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=1):  # noqa: S310
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"glimpse serve did not answer within {STARTUP_TIMEOUT} s")

    def kill(self) -> None:
        """Stop the process at once, as a crash or a redeploy would."""
        if self._process is not None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait()
            self._process = None


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} is missing: apt-get install chromium (.ci/services.sh does)")
    if not BUNDLE.exists():
        _missing(f"{BUNDLE} is missing: make web-build")
    return CHROMIUM


@pytest.fixture
def playwright() -> Iterator[Playwright]:
    """Per test: while open, Playwright's sync API holds an event loop asyncio tests refuse."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def browser(playwright: Playwright, chromium_path: Path) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
    yield chromium
    chromium.close()


@pytest.fixture
def server(tmp_path: Path, chromium_path: Path) -> Iterator[GlimpseServer]:
    running = GlimpseServer(tmp_path / "data", tmp_path / "server.log")
    running.start()
    yield running
    running.kill()


@pytest.fixture
def janus(tmp_path: Path) -> Iterator[Janus]:
    with running_janus(tmp_path / "janus") as started:
        yield started


@pytest.fixture
def sfu_server(tmp_path: Path, janus: Janus, chromium_path: Path) -> Iterator[GlimpseServer]:
    """Glimpse on `janus`: a room's media goes through it from the second camera."""
    running = GlimpseServer(
        tmp_path / "data",
        tmp_path / "server.log",
        GLIMPSE_SFU_THRESHOLD="1",
        **glimpse_environment(janus),
    )
    running.start()
    yield running
    running.kill()


@pytest.fixture
def coturn(tmp_path: Path) -> Iterator[Coturn]:
    with running_coturn(tmp_path) as server:
        yield server


@pytest.fixture
def link(coturn: Coturn) -> Iterator[ImpairedLink]:
    """A bad network (`tests/impaired_link.py`) in front of `coturn`, clear until a test sets it."""
    with impaired_link(coturn.port) as proxy:
        yield proxy


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Screenshots and figures of the run (git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def gallery(artifacts: Path) -> Path:
    """The screenshots of each main state (README: a snapshot of them is in docs/gallery/)."""
    folder = artifacts / "gallery"
    folder.mkdir(exist_ok=True)
    return folder
