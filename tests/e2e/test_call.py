"""Two and three people meeting in real Chromium: video, audio, chat, media controls, leaving."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import HEARTBEAT_INTERVAL, HEARTBEAT_TIMEOUT, GlimpseServer
from tests.e2e.people import PHONE, Person, ann_and_bob_meet, ann_opens_a_room, eventually


def test_two_people_meet_by_link_and_see_and_hear_each_other(
    browser: Browser, server: GlimpseServer, artifacts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ann = Person(browser, server.base_url, "Ann")
    ann.sign_up()
    invite = ann.create_room("Standup")
    ann.page.screenshot(path=artifacts / "dashboard.png", full_page=True)
    assert ann.unnamed_controls() == []
    ann.page.goto(invite)
    ann.join()

    bob = Person(browser, server.base_url, "Bob", phone=True)
    bob.sign_up(invite)  # signed out, the link leads through sign-up back to the room
    expect(bob.page.get_by_role("heading", name="Standup")).to_be_visible()
    bob.join()

    bob.sees_video_of("Ann")
    ann.sees_video_of("Bob")
    for viewer, other in ((ann, bob), (bob, ann)):  # neither shows as muted nor camera-off
        expect(viewer.tile(other.name).locator("[data-indicator]")).to_have_count(0)
    bob.hears("Ann")
    ann.hears("Bob")
    eventually(
        lambda: "speaking" in (bob.tile("Ann").get_attribute("aria-label") or ""),
        "Bob sees Ann highlighted while her microphone beeps",
    )
    figure = bob.join_to_first_frame_ms()
    (artifacts / "join-to-first-frame.txt").write_text(f"{figure:.0f} ms\n")
    with capsys.disabled():
        print(f"\njoin-to-first-frame: {figure:.0f} ms (Join room click -> first decoded frame)")
    assert bob.page.viewport_size == PHONE
    bob.page.screenshot(path=artifacts / "room-phone.png")


def test_chat_media_controls_three_people_and_leaving(
    browser: Browser, server: GlimpseServer, artifacts: Path
) -> None:
    ann, bob, invite = ann_and_bob_meet(browser, server.base_url, "Design review")

    # Chat both ways; markup in a message stays text; unread badge while closed; typing shows.
    ann.say("Hello <b>Bob</b> & <img src=x onerror=alert(1)>")
    expect(bob.control("Chat, 1 unread")).to_be_visible()
    bob.open_chat()
    expect(bob.messages().filter(has_text="Hello <b>Bob</b>")).to_have_count(1)
    expect(bob.page.get_by_role("log").locator("b, img")).to_have_count(0)
    bob.page.get_by_role("textbox", name="Message").fill("Hi Ann")
    expect(ann.page.get_by_text("Bob is typing…")).to_be_visible()
    bob.page.get_by_role("button", name="Send").click()
    expect(ann.messages().filter(has_text="Hi Ann")).to_have_count(1)
    expect(ann.page.get_by_text("Bob is typing…")).to_have_count(0)

    # Muting and camera off show on the other side.
    ann.control("Mute microphone").click()
    expect(bob.tile("Ann").locator("[data-indicator=muted]")).to_be_visible()
    ann.control("Turn camera off").click()
    expect(bob.tile("Ann").locator("[data-indicator=camera-off]")).to_be_visible()
    ann.control("Unmute microphone").click()
    ann.control("Turn camera on").click()
    expect(bob.tile("Ann").locator("[data-indicator]")).to_have_count(0)
    bob.sees_video_of("Ann")

    # Sharing the screen shows on Ann's tile (tests/e2e/test_layout.py follows the screen itself).
    ann.control("Share screen").click()
    expect(bob.tile("Ann").get_by_text("Sharing screen")).to_be_visible()
    ann.control("Stop sharing").click()
    expect(bob.tile("Ann").get_by_text("Sharing screen")).to_have_count(0)
    bob.sees_video_of("Ann")

    # A third person joining later sees the earlier messages, and every pair has video.
    cara = Person(browser, server.base_url, "Cara")
    cara.sign_up(invite)
    cara.join()
    cara.open_chat()
    expect(cara.messages().filter(has_text="Hello <b>Bob</b>")).to_have_count(1)
    expect(cara.messages().filter(has_text="Hi Ann")).to_have_count(1)
    everyone = (ann, bob, cara)
    for viewer, other in itertools.permutations(everyone, 2):
        viewer.sees_video_of(other.name)
    ann.page.screenshot(path=artifacts / "room-three-people.png")
    ann.open_chat()
    assert ann.unnamed_controls() == []

    # Leaving removes the tile for the others within 2 s.
    cara.control("Leave").click()
    expect(cara.page.get_by_role("heading", name="You left the room")).to_be_visible()
    expect(ann.tile("Cara")).to_have_count(0, timeout=2000)
    expect(bob.tile("Cara")).to_have_count(0, timeout=2000)

    # Closing the tab removes it within the heartbeat timeout.
    bob.page.close()
    expect(ann.tile("Bob")).to_have_count(
        0, timeout=(HEARTBEAT_TIMEOUT + HEARTBEAT_INTERVAL) * 1000 + 1000
    )


DENY_CAMERA = """
(() => {
  const ask = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = (constraints) =>
    constraints && constraints.video
      ? Promise.reject(new DOMException("denied by the test", "NotAllowedError"))
      : ask(constraints);
})();
"""


def test_a_password_room_and_a_denied_camera(browser: Browser, server: GlimpseServer) -> None:
    ann, invite = ann_opens_a_room(browser, server.base_url, "Audio only", "open sesame")

    bob = Person(browser, server.base_url, "Bob")
    bob.context.add_init_script(DENY_CAMERA)  # as if Bob refused the camera in the browser
    bob.sign_up(invite)
    expect(bob.page.get_by_role("alert")).to_contain_text("Camera access was denied")
    bob.page.get_by_label("Room password").fill("wrong guess")
    bob.page.get_by_role("button", name="Join room").click()
    expect(bob.page.get_by_role("alert").filter(has_text="password")).to_be_visible()
    bob.page.get_by_label("Room password").fill("open sesame")
    bob.join()
    expect(ann.tile("Bob").locator("[data-indicator=camera-off]")).to_be_visible()
    ann.hears("Bob")
    bob.sees_video_of("Ann")
