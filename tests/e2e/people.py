"""A person using Glimpse in their own browser context, in the words of the UI they see."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Locator, ViewportSize, expect

INSTRUMENT = Path(__file__).with_name("instrument.js")
MEDIA_TIMEOUT_MS = 20_000
SILENCE = 0.001
"""Peak level under which received audio counts as silence (the fake microphone beeps near 1)."""
PASSWORD = "correct horse battery"
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
_numbers = itertools.count()
UNNAMED_CONTROLS = """() => [...document.querySelectorAll("button, a[href], input, select")]
  .filter((el) => !(el.getAttribute("aria-label") || el.textContent.trim()
    || (el.labels && [...el.labels].some((label) => label.textContent.trim()))))
  .map((el) => el.outerHTML)"""


def eventually(
    check: Callable[[], Any], what: str, timeout: float = MEDIA_TIMEOUT_MS / 1000
) -> Any:
    """Poll `check` until it returns something truthy; fail with `what` when it never does."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out: {what} (last: {result!r})"
        time.sleep(0.1)


class Person:
    def __init__(self, browser: Browser, base_url: str, name: str, *, phone: bool = False) -> None:
        self.name = name
        self.email = f"{name.lower()}-{next(_numbers)}-{time.time_ns()}@example.org"
        self.context = browser.new_context(
            base_url=base_url, viewport=PHONE if phone else DESKTOP, is_mobile=False
        )
        self.context.add_init_script(path=str(INSTRUMENT))
        self.page = self.context.new_page()

    # Account and dashboard

    def sign_up(self, path: str = "/") -> None:
        """Open `path`; signed out, that leads to sign-in (from an invite link's page, through
        its "Sign in"), from where they create an account and come back to `path`."""
        self.page.goto(path)
        if "/r/" in path:
            self.page.get_by_role("link", name="Sign in").click()
        self.page.get_by_role("link", name="Create an account").click()
        self.page.get_by_label("Email").fill(self.email)
        self.page.get_by_label("Display name").fill(self.name)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Sign up").click()
        expect(self.page.get_by_role("heading", name="Sign in to Glimpse")).to_have_count(0)
        expect(self.page.get_by_role("heading", name="Create your account")).to_have_count(0)

    def create_room(self, name: str, password: str = "") -> str:
        """Create a room from the dashboard; returns its invite link."""
        self.page.get_by_label("Room name").fill(name)
        self.page.get_by_label("Password (optional)").fill(password)
        self.page.get_by_role("button", name="Create room").click()
        created = self.page.get_by_role("status").filter(has_text=name)
        link = created.get_by_role("link").first.inner_text()
        assert "/r/" in link, link
        expect(self.page.get_by_role("link", name=name)).to_be_visible()  # listed in "My rooms"
        return link

    def unnamed_controls(self) -> list[str]:
        """Buttons, links and fields on the page that have no accessible name."""
        unnamed: list[str] = self.page.evaluate(UNNAMED_CONTROLS)
        return unnamed

    # The call

    def join(self) -> None:
        self.page.get_by_role("button", name="Join room").click()
        expect(self.page.get_by_role("button", name="Leave")).to_be_visible()

    def control(self, name: str) -> Locator:
        return self.page.get_by_role("navigation", name="Call controls").get_by_role(
            "button", name=name
        )

    def connection(self) -> Locator:
        return self.page.get_by_role("status", name="Server connection", exact=False)

    def tile(self, name: str) -> Locator:
        return self.page.locator(f'figure[data-participant="{name}"]:not([data-self])')

    def video_frames(self, name: str) -> int:
        frames: int = self.page.evaluate("name => window.__videoFrames(name)", name)
        return frames

    def video_size(self, name: str) -> tuple[int, int]:
        width, height = self.page.evaluate("name => window.__videoSize(name)", name)
        return width, height

    def received_frame_size(self, name: str) -> tuple[int, int]:
        """The size of the frames of `name`'s video as they arrive (inbound-rtp frameWidth and
        frameHeight), whatever the tile shows; (0, 0) before any."""
        width, height = self.page.evaluate("name => window.__receivedFrameSize(name)", name)
        return width, height

    def audio_peak(self, name: str) -> float:
        peak: float = self.page.evaluate("name => window.__audioPeak(name)", name)
        return peak

    def sees_video_of(self, name: str) -> None:
        """Frames of `name`'s video are decoded, and keep coming."""
        first = eventually(lambda: self.video_frames(name) > 0 and self.video_frames(name),
                           f"{self.name} decodes video from {name}")  # fmt: skip
        eventually(lambda: self.video_frames(name) > first, f"{self.name}: {name}'s frames rise")
        width, _ = self.video_size(name)
        assert width > 0, f"{self.name}'s <video> of {name} has no size"

    def watch_frames(self, name: str) -> None:
        """Start following the decoded frames of `name`'s video (see `frame_watch`)."""
        self.page.evaluate("name => window.__watchFrames(name)", name)

    def frame_watch(self) -> dict[str, Any]:
        """Since `watch_frames`: `longestStallMs` (the longest time no new frame was decoded),
        `connections` (the peer connections, by creation order, that carried the video) and
        `frames` (decoded since)."""
        watch: dict[str, Any] = self.page.evaluate("() => window.__frameWatch()")
        return watch

    def watch_gaps(self, names: list[str]) -> None:
        """Start following the decoded frames of the videos shown for `names` (see `video_gaps`)."""
        self.page.evaluate("names => window.__watchGaps(names)", names)

    def video_gaps(self) -> dict[str, dict[str, int]]:
        """Since `watch_gaps`, per name, in ms: the longest time with no video decoding shown
        (`blank`) and the longest without a new decoded frame (`pause`; a new track's first frame
        counts); the watch stops."""
        gaps: dict[str, dict[str, int]] = self.page.evaluate("() => window.__videoGaps()")
        return gaps

    def open_peer_connections(self) -> int:
        count: int = self.page.evaluate("() => window.__peerConnections().length")
        return count

    def peer_connections_created(self) -> int:
        created: int = self.page.evaluate("() => window.__peerConnectionsCreated()")
        return created

    def cut_signaling(self) -> None:
        """The page's WebSocket drops and new ones fail; its peer connections are left alone."""
        self.page.evaluate("() => window.__cutSockets()")

    def restore_signaling(self) -> None:
        self.page.evaluate("() => window.__restoreSockets()")

    def hears(self, name: str) -> None:
        eventually(lambda: self.audio_peak(name) > 0, f"{self.name} hears {name}")

    def hears_silence_from(self, name: str) -> None:
        """What this page receives of `name`'s microphone peaks under `SILENCE` for a second."""
        eventually(
            lambda: self.audio_peak(name) < SILENCE, f"{self.name} hears nothing from {name}"
        )

    def devices_released(self) -> None:
        """Every camera, microphone and screen track this page was given is stopped ("ended")."""
        tracks = eventually(
            lambda: (t := self.page.evaluate("() => window.__mediaTracks()"))["live"] == 0 and t,
            f"{self.name}'s devices are stopped",
        )
        assert tracks["given"] > 0, f"{self.name}'s page was given no device"

    def join_to_first_frame_ms(self) -> float:
        """From the click on "Join room" to the first decoded remote video frame."""
        return float(
            eventually(
                lambda: self.page.evaluate(
                    "() => window.__firstFrameAt === undefined ? null"
                    " : window.__firstFrameAt - window.__joinClickedAt"
                ),
                f"{self.name} decodes a first frame",
            )
        )

    # Chat

    def open_chat(self) -> None:
        if self.control("Chat").get_attribute("aria-pressed") != "true":
            self.control("Chat").click()
        expect(self.page.get_by_role("heading", name="Chat")).to_be_visible()

    def say(self, text: str) -> None:
        self.open_chat()
        self.page.get_by_role("textbox", name="Message").fill(text)
        self.page.get_by_role("button", name="Send").click()

    def messages(self) -> Locator:
        return self.page.get_by_role("log", name="Chat messages").locator("li")

    def message_texts(self) -> list[str]:
        return self.messages().locator(".text").all_inner_texts()

    def close(self) -> None:
        self.context.close()


def ann_opens_a_room(
    browser: Browser, base_url: str, room_name: str, password: str = ""
) -> tuple[Person, str]:
    """Ann signs up, creates a room (with `password`, if any) and joins it.

    Returns her and the room's invite link."""
    ann = Person(browser, base_url, "Ann")
    ann.sign_up()
    invite = ann.create_room(room_name, password)
    ann.page.goto(invite)
    if password:
        ann.page.get_by_label("Room password").fill(password)
    ann.join()
    return ann, invite


def ann_and_bob_meet(browser: Browser, base_url: str, room_name: str) -> tuple[Person, Person, str]:
    """Ann creates a room and joins it; Bob signs up through its invite link, joins, sees Ann.

    Returns both and the invite link."""
    ann, invite = ann_opens_a_room(browser, base_url, room_name)
    bob = Person(browser, base_url, "Bob")
    bob.sign_up(invite)
    bob.join()
    bob.sees_video_of("Ann")
    return ann, bob, invite
