"""Media through the SFU (Janus) in real Chromium: the switch from the mesh and back, everyone
decoding everyone, each participant's upload as the room grows, a Janus that dies mid-call; and the
simulcast layer each tile gets, with the active speaker as Janus hears it; a screen shared through
the SFU."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Playwright, ViewportSize, expect

from tests.coturn import Coturn, outward_address, running_coturn, turn_only_environment
from tests.e2e.chromium import CHROMIUM_FLAGS
from tests.e2e.conftest import GlimpseServer
from tests.e2e.meeting import change_room
from tests.e2e.people import MEDIA_TIMEOUT_MS, Person, ann_opens_a_room, eventually
from tests.impaired_link import ImpairedLink
from tests.janus import Janus, glimpse_environment, running_janus

CAMERA_LIMITS = Path(__file__).with_name("camera_limits.js")
SMALL_CAMERA = CAMERA_LIMITS
"""The camera limits' default: 320x240 at 15 frames a second."""
SILENT_MICROPHONE = Path(__file__).with_name("silent_microphone.js")
MEDIA_BACK_TIMEOUT = 15.0
"""Seconds for everyone's video to come back after a switch or the failover: six browsers
publishing and subscribing afresh at once on two cores (2.3-4.6 s measured on a quiet machine,
7.7 to over 10 s with a load average of 20 from other test runs)."""
SETTLE = 2.0
"""GLIMPSE_SFU_SETTLE of the growing meeting: seconds with few cameras before the way back."""
BLANK_MS = 300
"""The longest anyone's tile of someone staying through a switch may show no decoding video: the
old path is kept until the new one brings each participant (0 measured; 1.0-2.2 s when the old
path was closed first). The pauses in the frames are printed, not checked: six Chromiums on two
cores decode in bursts (0.3-0.7 s pauses outside the switches too)."""
IN_FLIGHT_MS = 250
"""Frames already on their way are decoded for this long after a connection breaks."""
PUBLICATION_BACK_TIMEOUT = 5.0
"""Seconds for a camera publication whose connection failed to be decoded again, from a new
connection (0.6-0.8 s from the break measured here; an ICE restart tried first on the closed
connection waited out the 10 s connect timeout)."""


def media_path(person: Person) -> str:
    return str(person.page.locator("[data-media-path]").get_attribute("data-media-path"))


@pytest.mark.timeout(180)
def test_two_people_meet_through_the_sfu_and_failed_connections_come_back(
    browser: Browser, sfu_server: GlimpseServer
) -> None:
    ann, invite = ann_opens_a_room(browser, sfu_server.base_url, "Through Janus")
    bob = Person(browser, sfu_server.base_url, "Bob")
    bob.context.add_init_script(path=str(SMALL_CAMERA))
    bob.sign_up(invite)
    bob.join()
    eventually(lambda: media_path(ann) == "sfu", "the room switches to the SFU")
    bob.sees_video_of("Ann")
    ann.sees_video_of("Bob")
    bob.hears("Ann")
    expect(bob.tile("Ann")).to_be_visible()

    # Bob's subscription fails: his page gives it up (`sfu-resubscribe`) and receives Ann again
    # on a new connection, without leaving the room.
    created = bob.peer_connections_created()
    broke = time.monotonic()
    assert bob.page.evaluate("name => window.__breakVideoConnection(name)", "Ann") >= 0
    eventually(lambda: bob.peer_connections_created() > created, "Bob's subscription is renewed")
    bob.sees_video_of("Ann")
    print(f"subscription back in {time.monotonic() - broke:.1f} s")
    expect(ann.tile("Bob")).to_be_visible()
    expect(bob.tile("Ann")).to_be_visible()

    # Ann's camera publication fails: her page publishes it again from a new connection (the
    # closed one cannot be restarted), and Bob decodes and hears her again, as Ann does Bob (her
    # subscription is offered afresh with her new publication).
    created = ann.peer_connections_created()
    broke = time.monotonic()
    assert ann.page.evaluate("() => window.__breakCameraPublication()") >= 0
    bob.page.wait_for_timeout(IN_FLIGHT_MS)
    sees_everyone([ann, bob], timeout=PUBLICATION_BACK_TIMEOUT)
    video_back = time.monotonic() - broke
    assert ann.peer_connections_created() > created, "Ann's camera is not on a new connection"
    bob.hears("Ann")
    print(
        f"publication: video back in {video_back:.1f} s, Ann heard {time.monotonic() - broke:.1f} s"
    )


@pytest.fixture
def two_janus(tmp_path: Path) -> Iterator[tuple[Janus, Janus]]:
    with (
        running_janus(tmp_path / "janus-a") as first,
        running_janus(tmp_path / "janus-b", secrets_of=first) as second,
    ):
        yield first, second


def person(browser: Browser, server: GlimpseServer, name: str, invite: str) -> Person:
    joiner = Person(browser, server.base_url, name)
    joiner.context.add_init_script(path=str(SMALL_CAMERA))
    joiner.sign_up(invite)
    joiner.join()
    return joiner


def sees_everyone(
    people: list[Person], watchers: list[Person] | None = None, timeout: float = MEDIA_BACK_TIMEOUT
) -> None:
    """Each watcher decodes the video of everyone else, and the frames keep coming: more frames
    of the track shown at the start, any of a track that replaced it (a new connection's count
    starts again from 0), or fewer of the same track (Janus feeds a new publication into the
    media section of the one it replaced: the same track, whose count starts again)."""
    for watcher in watchers or people:
        names = [other.name for other in people if other is not watcher]

        def decoding(watcher: Person = watcher, names: list[str] = names) -> list[list[Any]]:
            tracks: list[list[Any]] = watcher.page.evaluate(
                "names => Promise.all(names.map((name) => window.__videoDecoding(name)))", names
            )
            return tracks

        start = decoding()

        def rising(
            decoding: Callable[[], list[list[Any]]] = decoding, start: list[list[Any]] = start
        ) -> bool:
            return all(
                frames > 0 and (track != shown or frames != then)
                for (track, frames), (shown, then) in zip(decoding(), start, strict=True)
            )

        eventually(
            rising,
            f"{watcher.name} decodes the video of {', '.join(names)} (tracks and frames at the "
            f"start {start}, now {decoding()})",
            timeout,
        )


def janus_of(person: Person, servers: tuple[Janus, ...]) -> Janus:
    """The Janus the page's media goes through: its candidate pairs' remote ports."""
    ports: list[int] = person.page.evaluate("() => window.__remotePorts()")
    carrying = {j for j in servers for port in ports if j.rtp_ports[0] <= port <= j.rtp_ports[1]}
    assert len(carrying) == 1, f"{person.name}'s media goes through {len(carrying)} Janus"
    return carrying.pop()


def uploads_kbit_per_s(people: list[Person], window: float = 3.0) -> dict[str, float]:
    """What each page sends on its peer connections, over the same `window` seconds."""
    before = [p.page.evaluate("() => window.__bytesSent()") for p in people]
    started = time.monotonic()
    time.sleep(window)
    after = [p.page.evaluate("() => window.__bytesSent()") for p in people]
    elapsed = time.monotonic() - started
    return {
        p.name: (a - b) * 8 / 1000 / elapsed for p, a, b in zip(people, after, before, strict=True)
    }


SFU_CONNECTIONS = 2
"""A participant's peer connections through the SFU: the camera's publication, the subscription."""


def watch_gaps(people: list[Person]) -> None:
    """Each starts following the videos of the others (see `handed_over`)."""
    for watcher in people:
        watcher.watch_gaps([other.name for other in people if other is not watcher])


def handed_over(people: list[Person], connections: int, switch: str) -> None:
    """Once the old path's connections have closed (each has `connections` open), nobody's tile
    of the others showed no video for more than a moment (`BLANK_MS`) since `watch_gaps`, and
    each told the three others `handed-over`."""
    eventually(
        lambda: all(p.open_peer_connections() == connections for p in people),
        f"the old path's connections close after the switch {switch}",
    )
    gaps = {watcher.name: watcher.video_gaps() for watcher in people}
    print(f"each video's longest blank and pause (ms) through the switch {switch}: {gaps}")
    assert all(gap["blank"] < BLANK_MS for seen in gaps.values() for gap in seen.values()), gaps
    # Each told the others the new path brings them: the old one went on both sides' word, not
    # on the client's 8 s bound.
    told = {p.name: p.page.evaluate("() => window.__handedOver()") for p in people}
    assert all(count >= 3 for count in told.values()), told


@pytest.mark.timeout(420)
def test_a_growing_meeting_moves_to_the_sfu_survives_its_janus_and_shrinks_back_to_a_mesh(
    browser: Browser, tmp_path: Path, two_janus: tuple[Janus, Janus], chromium_path: Path
) -> None:
    server = GlimpseServer(
        tmp_path / "data",
        tmp_path / "server.log",
        GLIMPSE_SFU_SETTLE=str(SETTLE),
        **glimpse_environment(*two_janus),
    )
    server.start()
    try:
        ann = Person(browser, server.base_url, "Ann")
        ann.context.add_init_script(path=str(SMALL_CAMERA))  # everyone's camera the same
        ann.sign_up()
        invite = ann.create_room("Town hall")
        ann.page.goto(invite)
        ann.join()
        ann.say("before the switch")
        people = [ann]
        mesh_uploads: dict[int, float] = {}
        for name in ("Bob", "Cat", "Dan"):
            people.append(person(browser, server, name, invite))
            sees_everyone(people, [ann, people[-1]])
            mesh_uploads[len(people)] = uploads_kbit_per_s([ann])[ann.name]
        assert media_path(ann) == "mesh"
        people[1].page.get_by_role("button", name="Raise hand").click()
        watch_gaps(people)
        eve = Person(browser, server.base_url, "Eve")
        eve.context.add_init_script(path=str(SMALL_CAMERA))
        eve.sign_up(invite)
        started = time.monotonic()
        eve.join()
        people.append(eve)
        eventually(lambda: all(media_path(p) == "sfu" for p in people), "everyone in SFU mode")
        sees_everyone(people, [ann, eve])
        print(f"switch: media back {time.monotonic() - started:.1f} s after Eve's join")
        handed_over(people[:4], SFU_CONNECTIONS, "to the SFU")
        sfu_uploads = {5: uploads_kbit_per_s(people)}
        people.append(person(browser, server, "Fay", invite))
        sees_everyone(people)
        sfu_uploads[6] = uploads_kbit_per_s(people[:5])
        print("Ann's upload in the mesh by room size (kbit/s):", mesh_uploads)
        print("everyone's upload through the SFU by room size (kbit/s):", sfu_uploads)
        assert mesh_uploads[4] > 1.5 * mesh_uploads[2], mesh_uploads
        assert all(0 < sfu_uploads[6][n] < 1.3 * sent for n, sent in sfu_uploads[5].items()), (
            sfu_uploads
        )
        for each in people:
            each.open_chat()
            expect(each.messages().filter(has_text="before the switch")).to_have_count(1)
        expect(people[1].page.get_by_role("button", name="Lower hand")).to_be_visible()
        # The Janus carrying the room dies: the room moves to the other one.
        carrying = janus_of(ann, two_janus)
        carrying.kill()
        started = time.monotonic()
        sees_everyone(people)
        print(f"failover: media back {time.monotonic() - started:.1f} s after the kill")
        assert janus_of(ann, two_janus) is not carrying
        # Two leave: four cameras are few enough for the mesh once the room has settled.
        watch_gaps(people[:4])
        for leaving in people[4:]:
            leaving.control("Leave").click()
        people = people[:4]
        started = time.monotonic()
        eventually(lambda: all(media_path(p) == "mesh" for p in people), "back to the mesh")
        switched = time.monotonic() - started
        sees_everyone(people)
        print(
            f"back to the mesh {switched:.1f} s after the leaves (settle {SETTLE} s), media back "
            f"{time.monotonic() - started - switched:.1f} s after"
        )
        handed_over(people, len(people) - 1, "back to the mesh")
        expect(people[1].page.get_by_role("button", name="Lower hand")).to_be_visible()
        expect(ann.messages().filter(has_text="before the switch")).to_have_count(1)
    finally:
        server.kill()


VOICE = "0.8*sin(2*PI*(300+120*sin(2*PI*0.7*t))*t)*(0.65+0.35*sin(2*PI*4*t))"
"""Someone speaking loudly, roughly: a tone sliding in pitch and swelling four times a second (a
steady tone would be taken for noise by the browser's noise suppression)."""
FRAME_RATE = 10
"""Every camera's frame rate (the publishers' at the size the app asks for through the SFU)."""
SMALL_SCREEN: ViewportSize = {"width": 800, "height": 600}
"""Cat's window: a grid tile gets the middle layer, the speaker view's thumbnails the lowest."""
NARROW_DOWNLINK = 400_000
"""Bits per second to Cat: too few for the top layer, which Janus would forward all the same."""
ASPECT = """(selector) => {
  const video = document.querySelector(selector);
  return video?.videoHeight ? video.videoWidth / video.videoHeight : 0;
}"""
"""The width over the height of the frames a <video> shows (0 before any)."""
LINK_TIMEOUT = 45.0
"""For a layer to change with the link: down a layer at a time, then up after good stretches
(web/src/rtc/downlinkCap.ts); the top layer's first frames too, once the publishers' estimate
of their uplink through TURN has grown enough for it."""


@pytest.fixture
def loud_voice(tmp_path: Path) -> Path:
    """A WAV file of `VOICE` (ffmpeg), for Chromium's fake microphone."""
    ffmpeg = shutil.which("ffmpeg")
    assert ffmpeg, "ffmpeg is not installed: apt-get install ffmpeg (.ci/services.sh does)"
    wav = tmp_path / "voice.wav"
    subprocess.run(  # noqa: S603 (ffmpeg, with arguments of our own)
        [ffmpeg, "-loglevel", "error", "-f", "lavfi", "-i", f"aevalsrc={VOICE}:s=48000:d=10",
         "-c:a", "pcm_s16le", str(wav)],
        check=True, timeout=30,
    )  # fmt: skip
    return wav


@pytest.fixture
def speaking_browser(
    playwright: Playwright, chromium_path: Path, loud_voice: Path
) -> Iterator[Browser]:
    """Chromium whose fake microphone plays `loud_voice` in a loop, on every page (a page with
    `SILENT_MICROPHONE` sends silence instead)."""
    chromium = playwright.chromium.launch(
        executable_path=chromium_path,
        args=[*CHROMIUM_FLAGS, f"--use-file-for-fake-audio-capture={loud_voice}"],
    )
    yield chromium
    chromium.close()


@pytest.fixture
def coturn(tmp_path: Path) -> Iterator[Coturn]:
    """coturn relaying from this machine's outward address: Janus has its candidates there only."""
    with running_coturn(tmp_path, relay_ip=outward_address()) as server:
        yield server


@pytest.fixture
def relayed_sfu_server(
    tmp_path: Path, janus: Janus, coturn: Coturn, link: ImpairedLink
) -> Iterator[GlimpseServer]:
    """Glimpse with Janus, every browser's media through TURN behind the impaired link."""
    running = GlimpseServer(
        tmp_path / "data",
        tmp_path / "server.log",
        **glimpse_environment(janus),
        **turn_only_environment(coturn, link.port),
    )
    running.start()
    yield running
    running.kill()


def limit_camera(person: Person, **limits: int) -> None:
    """Hold `person`'s camera to these limits (width, height, frameRate)."""
    person.context.add_init_script(script=f"window.__cameraLimits = {json.dumps(limits)};")
    person.context.add_init_script(path=str(CAMERA_LIMITS))


def joins_silently(
    browser: Browser, server: GlimpseServer, name: str, invite: str, **camera: int
) -> Person:
    """`name` joins with a silent microphone and their camera held to `camera`."""
    joiner = Person(browser, server.base_url, name)
    joiner.context.add_init_script(path=str(SILENT_MICROPHONE))
    limit_camera(joiner, **camera)
    joiner.sign_up(invite)
    joiner.join()
    return joiner


@pytest.mark.timeout(180)
def test_each_tile_gets_its_layer_within_what_the_link_takes_and_the_speaker_comes_from_janus(
    speaking_browser: Browser, relayed_sfu_server: GlimpseServer, link: ImpairedLink
) -> None:
    server = relayed_sfu_server
    ann = Person(speaking_browser, server.base_url, "Ann")  # the loud voice
    limit_camera(ann, frameRate=FRAME_RATE)
    ann.sign_up()
    invite = ann.create_room("Simulcast")
    change_room(server.base_url, ann, invite, media_mode="sfu")
    ann.page.goto(invite)
    ann.join()
    bob = joins_silently(speaking_browser, server, "Bob", invite, frameRate=FRAME_RATE)
    cat = joins_silently(
        speaking_browser, server, "Cat", invite, width=320, height=240, frameRate=FRAME_RATE
    )
    cat.page.set_viewport_size(SMALL_SCREEN)
    eventually(lambda: all(media_path(p) == "sfu" for p in (ann, bob, cat)), "all through the SFU")
    cat.sees_video_of("Ann")
    cat.sees_video_of("Bob")

    # Janus hears Ann talking (audio levels in her packets), not Bob: everyone else is told.
    for watcher in (cat, bob):
        expect(watcher.tile("Ann")).to_have_attribute(
            "aria-label", "Ann, speaking", timeout=MEDIA_TIMEOUT_MS
        )
    expect(cat.tile("Bob")).to_have_attribute("aria-label", "Bob")

    # Each camera comes in the layer its tile needs: pinned, the featured tile the top layer and
    # the thumbnail the lowest; in the grid, both middle-sized tiles the middle one.
    def received() -> dict[str, tuple[int, int]]:
        return {name: cat.received_frame_size(name) for name in ("Ann", "Bob")}

    def top_and_lowest(large: str, small: str) -> dict[str, tuple[int, int]] | None:
        """What Cat receives once `large` comes in the top layer and `small` in the lowest (a
        quarter of its width)."""
        sizes = received()
        return sizes if sizes[large][0] >= 4 * sizes[small][0] > 0 else None

    sizes: dict[str, dict[str, tuple[int, int]]] = {}
    for large, small in (("Ann", "Bob"), ("Bob", "Ann")):
        cat.page.get_by_role("button", name=f"Pin {large}").click()
        sizes[f"{large} pinned"] = eventually(
            partial(top_and_lowest, large, small),
            f"Cat receives {large} (featured) in the top layer, {small} (a thumbnail) the lowest",
            LINK_TIMEOUT,  # at first, the publishers' estimate of their uplink has to grow
        )
    featured, thumbnail = sizes["Bob pinned"]["Bob"], sizes["Bob pinned"]["Ann"]
    assert sizes["Ann pinned"]["Ann"] == featured, sizes
    cat.control("Grid view").click()
    sizes["grid"] = eventually(
        lambda: (r := received())["Ann"] == r["Bob"] and featured[0] > r["Ann"][0] > thumbnail[0]
        and r,
        "Cat receives Ann and Bob in the middle layer in the grid",
    )  # fmt: skip
    print(f"\nframes Cat receives (width, height): {sizes}")

    # Cat's downlink narrows: the featured tile's layer drops to what it carries, then comes back.
    cat.control("Speaker view").click()  # Bob still pinned
    eventually(lambda: cat.received_frame_size("Bob") == featured, "Bob featured again")
    link.set(rate=NARROW_DOWNLINK, downlink_only=True)
    narrowed = time.monotonic()
    capped = eventually(
        lambda: (r := cat.received_frame_size("Bob"))[0] < featured[0] and r,
        f"Bob's layer drops to what {NARROW_DOWNLINK // 1000} kbit/s carries",
        LINK_TIMEOUT,
    )
    dropped = time.monotonic() - narrowed
    link.clear()
    cleared = time.monotonic()
    eventually(
        lambda: cat.received_frame_size("Bob")[0] >= featured[0],
        "Bob's top layer again once the link is clear",
        LINK_TIMEOUT,
    )
    print(
        f"{NARROW_DOWNLINK // 1000} kbit/s down: Bob at {capped} after {dropped:.1f} s; "
        f"{featured} again {time.monotonic() - cleared:.1f} s after the link cleared"
    )

    # Ann shares her screen: a publication of its own, which Cat receives beside her camera
    # (the fake screen is as large as Ann's window: 16:9); stopped, its tile goes.
    ann.control("Share screen").click()
    screen = 'figure[data-screen="Ann"] video'
    eventually(
        lambda: cat.page.evaluate(ASPECT, screen) > 1.6,
        "Cat receives Ann's 16:9 screen through the SFU",
    )
    cat.sees_video_of("Ann")
    ann.control("Stop sharing").click()
    expect(cat.page.locator(screen)).to_have_count(0, timeout=MEDIA_TIMEOUT_MS)
    cat.sees_video_of("Ann")
