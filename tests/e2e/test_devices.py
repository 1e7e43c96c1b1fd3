"""Devices in real Chromium: the pre-join screen keeps "Join room" and its errors in view at a
phone's and two desktops' sizes, its level meter moves and its speaker test plays on the chosen
output; in the call, a switched camera and microphone reach the other side and the chosen speaker
plays the others; a denied camera is explained and a retry gets it once allowed. Saves screenshots
to the gallery (artifacts/e2e/gallery/)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect

from tests.e2e.chromium import CHROMIUM_FLAGS
from tests.e2e.conftest import GlimpseServer
from tests.e2e.people import Person, ann_opens_a_room, eventually
from tests.e2e.test_layout import SIZES, inside

CANVAS_CAMERA = Path(__file__).with_name("canvas_camera.js")
WRONG_PASSWORD = "not the password"

IN_VIEW = """(selectors) => selectors.map((selector) => {
  const r = document.querySelector(selector)?.getBoundingClientRect();
  return r ? [r.left, r.top, r.right, r.bottom] : null;
})"""

MAGENTA_SHOWN = """(name) => {
  const video = document.querySelector(
    `figure[data-participant="${CSS.escape(name)}"]:not([data-self]) video`);
  if (!video || video.videoWidth === 0) return false;
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  const context = canvas.getContext("2d");
  context.drawImage(video, 0, 0);
  const [r, g, b] = context.getImageData(10, canvas.height / 2, 1, 1).data;
  return r > 180 && g < 90 && b > 180;
}"""

SENT_AUDIO_LABEL = """async () => {
  for (const pc of window.__peerConnections()) {
    for (const sender of pc.getSenders())
      if (sender.track?.kind === "audio") return sender.track.label;
  }
  return null;
}"""

REMOTE_SINKS = """() => [...document.querySelectorAll("figure:not([data-self]) video")]
  .filter((video) => !video.muted).map((video) => video.sinkId)"""


def device_id(page: Page, label: str) -> str:
    """The id of the device the page's browser lists under `label`."""
    found: str = page.evaluate(
        "async (label) => (await navigator.mediaDevices.enumerateDevices())"
        ".find((d) => d.label === label).deviceId",
        label,
    )
    return found


def assert_in_view(page: Page, selectors: list[str], where: str) -> None:
    """Each element is on screen without scrolling."""
    viewport = [0.0, 0.0, page.viewport_size["width"], page.viewport_size["height"]]  # type: ignore[index]
    boxes = page.evaluate(IN_VIEW, selectors)
    for selector, box in zip(selectors, boxes, strict=True):
        assert box is not None, f"{where}: no {selector}"
        assert inside(box, viewport), f"{where}: {selector} at {box}, outside {viewport}"


@pytest.fixture
def asking_browser(playwright: Playwright, chromium_path: Path) -> Iterator[Browser]:
    """A Chromium that asks for camera and microphone permission as a person's does (headless,
    an unanswered prompt is a denial), instead of granting it without asking."""
    flags = [flag for flag in CHROMIUM_FLAGS if flag != "--use-fake-ui-for-media-stream"]
    chromium = playwright.chromium.launch(executable_path=chromium_path, args=flags)
    yield chromium
    chromium.close()


def test_pre_join_fits_and_switched_devices_reach_the_others(
    browser: Browser, server: GlimpseServer, gallery: Path
) -> None:
    ann, invite = ann_opens_a_room(browser, server.base_url, "Devices", "open sesame")

    bob = Person(browser, server.base_url, "Bob")
    bob.context.add_init_script(path=str(CANVAS_CAMERA))
    bob.sign_up(invite)
    page = bob.page
    # A wrong password: the error and "Join room" stay in view at every size.
    page.get_by_label("Room password").fill(WRONG_PASSWORD)
    page.get_by_role("button", name="Join room").click()
    error = page.get_by_role("alert").filter(has_text="password")
    expect(error).to_be_visible()
    for size_name, size in SIZES.items():
        page.set_viewport_size(size)
        assert_in_view(page, ["form .error", "form button[type=submit]"], size_name)
        page.screenshot(path=gallery / f"pre-join-{size_name}.jpeg", type="jpeg", quality=70)

    # The microphone's level moves; the speaker test plays on the chosen output.
    meter = page.get_by_role("meter", name="Microphone level")
    eventually(lambda: int(meter.get_attribute("aria-valuenow") or 0) > 20, "the meter moves")
    speaker = device_id(page, "Fake Audio Output 1")
    page.get_by_role("combobox", name="Speaker").select_option(label="Fake Audio Output 1")
    page.get_by_role("button", name="Test speaker").click()
    expect(page.get_by_role("button", name="Playing a test sound…")).to_be_visible()
    expect(page.get_by_role("button", name="Test speaker")).to_be_visible(timeout=5000)
    assert page.evaluate("() => window.__audioSinks") == [speaker]

    page.set_viewport_size(SIZES["desktop"])
    page.get_by_label("Room password").fill("open sesame")
    bob.join()
    ann.sees_video_of("Bob")
    ann.hears("Bob")
    assert not ann.page.evaluate(MAGENTA_SHOWN, "Bob")
    # The speaker chosen before joining plays Ann.
    eventually(lambda: bob.page.evaluate(REMOTE_SINKS) == [speaker], "Bob hears Ann on it")

    # In the call, Bob switches to the canvas camera and another microphone: Ann gets both.
    bob.control("Devices").click()
    expect(page.get_by_role("heading", name="Devices")).to_be_focused()
    page.get_by_role("combobox", name="Camera").select_option(label="Canvas camera")
    eventually(lambda: ann.page.evaluate(MAGENTA_SHOWN, "Bob"), "Ann sees Bob's new camera")
    assert ann.video_size("Bob") == (320, 240)
    expect(page.get_by_role("combobox", name="Camera")).to_have_value("canvas-camera")
    page.get_by_role("combobox", name="Microphone").select_option(label="Fake Audio Input 2")
    eventually(
        lambda: bob.page.evaluate(SENT_AUDIO_LABEL) == "Fake Audio Input 2",
        "Bob sends his new microphone",
    )
    ann.hears("Bob")
    page.screenshot(path=gallery / "devices-in-call-desktop.jpeg", type="jpeg", quality=70)

    # Ann switches her speaker in the call: Bob plays on it.
    ann.control("Devices").click()
    other = device_id(ann.page, "Fake Audio Output 2")
    ann.page.get_by_role("combobox", name="Speaker").select_option(label="Fake Audio Output 2")
    eventually(lambda: ann.page.evaluate(REMOTE_SINKS) == [other], "Ann hears Bob on it")
    for person in (ann, bob):
        person.close()


def test_a_denied_camera_is_explained_and_a_retry_gets_it(
    asking_browser: Browser, server: GlimpseServer
) -> None:
    owner = Person(asking_browser, server.base_url, "Ann")
    owner.sign_up()
    invite = owner.create_room("Permissions")
    page = owner.page
    page.goto(invite)
    denied = page.get_by_role("alert").filter(has_text="Camera access was denied")
    expect(denied).to_be_visible()
    expect(
        page.get_by_role("alert").filter(has_text="Microphone access was denied")
    ).to_be_visible()
    turn_off = page.get_by_role("button", name="Turn camera off")
    expect(turn_off).to_be_disabled()
    expect(turn_off).to_have_accessible_description(re.compile("Camera access was denied"))

    owner.context.grant_permissions(["camera", "microphone"])  # the person allows it
    page.get_by_role("button", name="Try the camera again").click()
    expect(denied).to_have_count(0)
    expect(turn_off).to_be_enabled()
    page.get_by_role("button", name="Try the microphone again").click()
    expect(page.get_by_role("button", name="Mute microphone")).to_be_enabled()
    owner.join()
    owner.close()


@pytest.fixture
def remote_browser(playwright: Playwright, chromium_path: Path) -> Iterator[Browser]:
    """A Chromium that reaches the server under a name that is not this machine's (glimpse.test),
    as a colleague's browser would reach a server served over plain http."""
    flags = [*CHROMIUM_FLAGS, "--host-resolver-rules=MAP glimpse.test 127.0.0.1"]
    chromium = playwright.chromium.launch(executable_path=chromium_path, args=flags)
    yield chromium
    chromium.close()


def test_a_page_that_is_not_secure_says_calls_need_https(
    remote_browser: Browser, server: GlimpseServer
) -> None:
    ann = Person(remote_browser, f"http://glimpse.test:{server.port}", "Ann")
    ann.sign_up()
    invite = ann.create_room("Plain http")
    ann.page.goto(invite)
    expect(ann.page.get_by_role("alert")).to_contain_text("This page is not secure")
    expect(ann.page.get_by_role("alert")).to_have_count(1)  # said once, with no useless retry
    expect(ann.page.get_by_role("button", name="Mute microphone")).to_have_accessible_description(
        re.compile("Open Glimpse over https://")
    )
    ann.close()
