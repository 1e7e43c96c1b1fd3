"""The stage in real Chromium: tiles measured in the page fit it for 1 to 4 people at a phone's
and two desktops' sizes in the grid and speaker views; a shared screen is featured, whole, and the
camera comes back at its full size. Saves the screenshot gallery (artifacts/e2e/gallery/)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, ViewportSize, expect

from tests.e2e.conftest import GlimpseServer
from tests.e2e.people import PHONE, Person, ann_opens_a_room, eventually

SIZES: dict[str, ViewportSize] = {
    "desktop": {"width": 1440, "height": 900},
    "laptop": {"width": 1280, "height": 720},
    "phone": PHONE,
}
GALLERY_SIZES = ("desktop", "phone")
LAYOUT_TIMEOUT = 5.0
EPS = 1.0
"""CSS pixels of rounding allowed at an edge."""

MEASURE = """() => {
  const box = (el) => {
    const r = el.getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom];
  };
  const stage = document.querySelector(".stage");
  return {
    stage: box(stage),
    viewport: [0, 0, innerWidth, innerHeight],
    controls: box(document.querySelector("nav.controls")),
    slots: [...stage.querySelectorAll(":scope > .slot")].map((slot) => {
      const name = slot.querySelector("figcaption .name, h2");
      const text = name?.textContent;
      return { role: slot.dataset.slot, box: box(slot), name: name && box(name), text };
    }),
  };
}"""

SHOWN_FRAME = """(selector) => {
  const video = document.querySelector(selector);
  const box = video.getBoundingClientRect();
  const scale = Math.min(box.width / video.videoWidth, box.height / video.videoHeight);
  const fit = getComputedStyle(video).objectFit;
  const [w, h] = fit === "contain"
    ? [video.videoWidth * scale, video.videoHeight * scale]
    : [box.width, box.height];
  const left = box.left + (box.width - w) / 2, top = box.top + (box.height - h) / 2;
  const tile = video.closest(".slot").getBoundingClientRect();
  return { fit, aspect: video.videoWidth / video.videoHeight,
           frame: [left, top, left + w, top + h],
           tile: [tile.left, tile.top, tile.right, tile.bottom],
           stage: document.querySelector(".stage").getBoundingClientRect().width };
}"""

CAMERA_SETTINGS = """() => {
  const track = document.querySelector("figure[data-self] video").srcObject?.getVideoTracks()[0];
  const { width, height } = track ? track.getSettings() : {};
  return [width ?? 0, height ?? 0];
}"""

Box = list[float]


def inside(inner: Box, outer: Box) -> bool:
    return (
        inner[0] >= outer[0] - EPS
        and inner[1] >= outer[1] - EPS
        and inner[2] <= outer[2] + EPS
        and inner[3] <= outer[3] + EPS
    )


def overlap(a: Box, b: Box) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > EPS and min(a[3], b[3]) - max(a[1], b[1]) > EPS


def layout_problems(person: Person, tiles: int) -> list[str]:
    """What is wrong with the stage as measured: tiles outside it or overlapping, names hidden."""
    seen: dict[str, Any] = person.page.evaluate(MEASURE)
    slots = seen["slots"]
    problems = [] if len(slots) == tiles else [f"{len(slots)} tiles, not {tiles}"]
    for slot in slots:
        what = f"{slot['role']} {slot['text']!r}"
        if not inside(slot["box"], seen["stage"]):
            problems.append(f"{what} leaves the stage: {slot['box']} / {seen['stage']}")
        name = slot["name"]
        if name is None or name[2] - name[0] < 1:
            problems.append(f"{what} shows no name")
        elif not (inside(name, slot["box"]) and inside(name, seen["viewport"])):
            problems.append(f"{what}: name {name} outside its tile or the viewport")
        elif overlap(name, seen["controls"]):
            problems.append(f"{what}: name under the controls")
    for i, a in enumerate(slots):
        for b in slots[i + 1 :]:
            if "pip" in (a["role"], b["role"]):  # the self-view sits over a corner, not a name
                pip, other = (a, b) if a["role"] == "pip" else (b, a)
                if other["name"] and overlap(pip["box"], other["name"]):
                    problems.append(f"the self-view covers {other['text']!r}")
            elif overlap(a["box"], b["box"]):
                problems.append(f"{a['text']!r} and {b['text']!r} overlap")
    return problems


def show_view(person: Person, view: str) -> None:
    """Switch to the grid or the speaker view (a shared screen starts in the speaker view)."""
    switch = person.control("Speaker view" if view == "speaker" else "Grid view")
    if switch.count():
        switch.click()


def check_stage(person: Person, tiles: int, state: str, gallery: Path) -> None:
    """At each size, in the grid and the speaker view, the stage fits; screenshots of both."""
    for view in ("grid", "speaker"):
        show_view(person, view)
        for size_name, size in SIZES.items():
            person.page.set_viewport_size(size)
            deadline = time.monotonic() + LAYOUT_TIMEOUT
            while (problems := layout_problems(person, tiles)) and time.monotonic() < deadline:
                time.sleep(0.1)  # the stage lays out again after the resize
            assert problems == [], f"{state}, {view} view, {size_name}: {problems}"
            if size_name in GALLERY_SIZES:
                shot = gallery / f"{state}-{view}-{size_name}.jpeg"
                person.page.screenshot(path=shot, type="jpeg", quality=70)
    show_view(person, "grid")


def test_the_stage_fits_and_a_shared_screen_is_featured_whole(
    browser: Browser, server: GlimpseServer, gallery: Path
) -> None:
    ann, invite = ann_opens_a_room(browser, server.base_url, "Layouts")

    # Alone: one's own tile and the invitation, with its copy button.
    expect(ann.page.get_by_role("heading", name="You're the only one here")).to_be_visible()
    expect(ann.page.get_by_role("button", name="Copy link to invite others")).to_be_visible()
    check_stage(ann, 2, "1-alone", gallery)

    people = [ann]
    bob = Person(browser, server.base_url, "Bob")
    bob.sign_up(invite)
    bob.join()
    people.append(bob)
    ann.sees_video_of("Bob")
    expect(ann.page.locator(".slot.pip figure[data-self]")).to_have_count(1)  # small self-view
    check_stage(ann, 2, "2-people", gallery)

    # Ann shares her screen: featured for both, whole; her camera stays beside it.
    camera_before = ann.page.evaluate(CAMERA_SETTINGS)
    assert camera_before[0] > 0, camera_before
    for person in (ann, bob):  # the fake screen Chromium captures is as large as the window
        person.page.set_viewport_size(SIZES["desktop"])
    ann.control("Share screen").click()
    screen = 'figure[data-screen="Ann"] video'
    for person in (ann, bob):
        expect(person.page.locator(f".slot.featured {screen}")).to_have_count(1)
    shown = eventually(
        lambda: (s := bob.page.evaluate(SHOWN_FRAME, screen))["aspect"] > 1.6 and s,
        "Bob receives Ann's 16:9 screen",
    )
    assert shown["fit"] == "contain" and inside(shown["frame"], shown["tile"]), shown
    assert shown["tile"][2] - shown["tile"][0] > 0.6 * shown["stage"], shown  # large
    bob.sees_video_of("Ann")  # her camera, still coming beside the screen
    width, height = bob.video_size("Ann")
    assert 0 < width / height < 1.6, (width, height)
    check_stage(bob, 3, "2-people-screen-shared", gallery)
    ann.control("Stop sharing").click()
    expect(bob.page.locator(screen)).to_have_count(0)
    assert ann.page.evaluate(CAMERA_SETTINGS) == camera_before
    bob.sees_video_of("Ann")

    for name in ("Cara", "Dan"):
        person = Person(browser, server.base_url, name)
        person.sign_up(invite)
        person.join()
        people.append(person)
        ann.sees_video_of(name)
        check_stage(ann, len(people), f"{len(people)}-people", gallery)

    # Pinning Cara features her in the speaker view; a tile goes full screen.
    ann.page.set_viewport_size(SIZES["desktop"])
    ann.page.get_by_role("button", name="Pin Cara").click()
    expect(ann.page.locator('.slot.featured figure[data-participant="Cara"]')).to_have_count(1)
    ann.page.get_by_role("button", name="Full screen: Cara").click()
    eventually(
        lambda: ann.page.evaluate("() => document.fullscreenElement?.dataset.participant"),
        "Cara's tile is full screen",
    )
    for person in people:
        person.close()
