"""Metric 6: in real Chromium, time from join to the first decoded frame of every remote peer.

Two measurements, both split into signaling (join until the last offer/answer exchange is
complete) and the rest (ICE, DTLS, first decoded frame):
- the bench's own call page (bench/browser/call.html), whose signaling goes over Glimpse's /ws or
  over the Socket.IO baseline with the same WebRTC code: this gives the Glimpse/Socket.IO ratio;
- the Glimpse web client itself, driven through the end-to-end harness (tests/e2e), absolute only.
The newcomer joins a room whose other participants are already connected to each other.
"""

from __future__ import annotations

import functools
import http.server
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from playwright.sync_api import Browser, Page, sync_playwright

from bench.servers import Fixtures, RunningServer, free_port
from tests.e2e.chromium import CHROMIUM, CHROMIUM_FLAGS

PAGES = Path(__file__).resolve().parent / "browser"
TIMING = PAGES / "timing.js"
WEB_BUNDLE = PAGES.parent.parent / "web" / "dist" / "index.html"
TIMEOUT_S = 30.0


class _QuietPages(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, directory=str(PAGES), **kwargs)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def _static_pages() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), _QuietPages)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def _connected(page: Page, remotes: int) -> dict[str, float] | None:
    """Signaling and first-frame times once every remote peer's video is decoded."""
    times: list[dict[str, float | None]] = page.evaluate("window.__callTimes()")
    done = [t for t in times if t["signaledAt"] is not None and t["firstFrameAt"] is not None]
    if not done or len(done) < remotes:
        return None
    signaling = max(float(t["signaledAt"] or 0) for t in done)
    first_frame = max(float(t["firstFrameAt"] or 0) for t in done)
    return {"signaling_ms": signaling, "first_frame_ms": first_frame}


def _wait(check: Callable[[], dict[str, float] | None], what: str) -> dict[str, float]:
    deadline = time.monotonic() + TIMEOUT_S
    while (result := check()) is None:
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.02)
    return result


def call_page_join(
    server: RunningServer, fixtures: Fixtures, rooms: list[str], peers: int
) -> list[dict[str, float]]:
    """One call per room: peers-1 people meet, then the newcomer joins; its times."""
    results = []
    with _static_pages() as pages_url, chromium() as browser:
        for room in rooms:
            contexts = []
            for index in range(peers):
                context = browser.new_context()
                contexts.append(context)
                context.add_init_script(path=str(TIMING))
                page = context.new_page()
                query = {
                    "transport": server.protocol,
                    "server": f"http://127.0.0.1:{server.port}",
                    "token": fixtures.tokens[index],
                    "room": room,
                }
                page.goto(f"{pages_url}/call.html?{urlencode(query)}")
                page.evaluate("window.prepare()")
                page.evaluate("window.join()")
                if index > 0:
                    result = _wait(
                        functools.partial(_connected, page, index), f"peer {index + 1} connected"
                    )
            results.append(result)
            for context in contexts:
                context.close()
    return results


def web_client_join(peers: int, runs: int) -> list[dict[str, float]]:
    """The Glimpse web client, as the end-to-end tests drive it; the newcomer's times."""
    from tests.e2e.conftest import GlimpseServer
    from tests.e2e.people import Person

    results = []
    with tempfile.TemporaryDirectory(prefix="glimpse-bench-web-") as tmp, chromium() as browser:
        server = GlimpseServer(Path(tmp) / "data", Path(tmp) / "server.log")
        server.start()
        try:
            for run in range(runs):
                people = []
                for index in range(peers):
                    person = Person(browser, server.base_url, f"P{run}x{index}")
                    person.context.add_init_script(path=str(TIMING))
                    people.append(person)
                    if index == 0:
                        person.sign_up()
                        invite = person.create_room(f"Bench {run}")
                        person.page.goto(invite)
                    else:
                        person.sign_up(invite)
                    person.join()
                    if index > 0:
                        result = _wait(
                            functools.partial(_connected, person.page, index),
                            f"web client {index + 1} connected",
                        )
                results.append(result)
                for person in people:
                    person.close()
        finally:
            server.kill()
    return results


def summarize(results: list[dict[str, float]]) -> dict[str, float]:
    signaling = statistics.median(result["signaling_ms"] for result in results)
    first_frame = statistics.median(result["first_frame_ms"] for result in results)
    return {
        "signaling_ms": signaling,
        "first_frame_ms": first_frame,
        "rest_ms": first_frame - signaling,
    }


def available() -> str | None:
    """Why metric 6 cannot run here, or None."""
    return None if CHROMIUM.exists() else f"{CHROMIUM} is missing (apt-get install chromium)"


def web_client_available() -> bool:
    return WEB_BUNDLE.exists()
