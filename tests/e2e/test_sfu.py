"""Media through the SFU (Janus) in real Chromium: the switch from the mesh, everyone decoding
everyone, each participant's upload as the room grows, and a Janus that dies mid-call."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import GlimpseServer
from tests.e2e.people import Person, ann_opens_a_room, eventually
from tests.janus import Janus, running_janus

SMALL_CAMERA = Path(__file__).with_name("small_camera.js")
FAILOVER_TIMEOUT = 40.0
"""Six browsers publishing and subscribing afresh at once on two cores (under a second with two)."""


@pytest.fixture
def janus(tmp_path: Path) -> Iterator[Janus]:
    with running_janus(tmp_path / "janus") as started:
        yield started


@pytest.fixture
def sfu_server(tmp_path: Path, janus: Janus, chromium_path: Path) -> Iterator[GlimpseServer]:
    running = GlimpseServer(
        tmp_path / "data",
        tmp_path / "server.log",
        GLIMPSE_JANUS_URLS=janus.url,
        GLIMPSE_JANUS_API_SECRET=janus.api_secret,
        GLIMPSE_JANUS_ADMIN_KEY=janus.admin_key,
        GLIMPSE_SFU_THRESHOLD="1",
    )
    running.start()
    yield running
    running.kill()


def media_path(person: Person) -> str:
    return str(person.page.locator("[data-media-path]").get_attribute("data-media-path"))


@pytest.mark.timeout(180)
def test_two_people_meet_through_the_sfu_and_a_failed_subscription_comes_back(
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
    people: list[Person], watchers: list[Person] | None = None, timeout: float = 20.0
) -> None:
    """Each watcher decodes the video of everyone else, and the frames keep coming."""
    for watcher in watchers or people:
        names = [other.name for other in people if other is not watcher]

        def frames(watcher: Person = watcher, names: list[str] = names) -> list[int]:
            counts: list[int] = watcher.page.evaluate(
                "names => Promise.all(names.map((name) => window.__videoFrames(name)))", names
            )
            return counts

        start = frames()

        def rising(frames: Callable[[], list[int]] = frames, start: list[int] = start) -> bool:
            return all(now > max(then, 0) for now, then in zip(frames(), start, strict=True))

        eventually(
            rising,
            f"{watcher.name} decodes the video of {', '.join(names)} (frames at the start "
            f"{start}, now {frames()})",
            timeout,
        )


def janus_of(person: Person, servers: tuple[Janus, ...]) -> Janus:
    """The Janus the page's media goes through: its candidate pairs' remote ports."""
    ports: list[int] = person.page.evaluate("() => window.__remotePorts()")
    carrying = {j for j in servers for port in ports if j.rtp_ports[0] <= port <= j.rtp_ports[1]}
    assert len(carrying) == 1, f"{person.name}'s media goes through {len(carrying)} Janus"
    return carrying.pop()


@pytest.mark.timeout(420)
def test_a_growing_meeting_moves_to_the_sfu_and_survives_its_janus(
    browser: Browser, tmp_path: Path, two_janus: tuple[Janus, Janus], chromium_path: Path
) -> None:
    server = GlimpseServer(
        tmp_path / "data",
        tmp_path / "server.log",
        GLIMPSE_JANUS_URLS=",".join(j.url for j in two_janus),
        GLIMPSE_JANUS_API_SECRET=two_janus[0].api_secret,
        GLIMPSE_JANUS_ADMIN_KEY=two_janus[0].admin_key,
    )
    server.start()
    try:
        ann, invite = ann_opens_a_room(browser, server.base_url, "Town hall")
        ann.say("before the switch")
        people = [ann]
        uploads: dict[int, float] = {}
        for name in ("Bob", "Cat", "Dan"):
            people.append(person(browser, server, name, invite))
            sees_everyone(people, [ann, people[-1]])
            uploads[len(people)] = ann.upload_kbit_per_s()
        assert media_path(ann) == "mesh"
        people[1].page.get_by_role("button", name="Raise hand").click()
        eve = Person(browser, server.base_url, "Eve")
        eve.context.add_init_script(path=str(SMALL_CAMERA))
        eve.sign_up(invite)
        started = time.monotonic()
        eve.join()
        people.append(eve)
        eventually(lambda: all(media_path(p) == "sfu" for p in people), "everyone in SFU mode")
        sees_everyone(people, [ann, eve])
        print(f"switch: media back {time.monotonic() - started:.1f} s after Eve's join")
        uploads[5] = ann.upload_kbit_per_s()
        people.append(person(browser, server, "Fay", invite))
        sees_everyone(people)
        uploads[6] = ann.upload_kbit_per_s()
        print("Ann's upload by room size (kbit/s):", uploads)
        assert uploads[4] > 1.5 * uploads[2], uploads
        assert uploads[6] < 1.3 * uploads[5], uploads
        for each in people:
            each.open_chat()
            expect(each.messages().filter(has_text="before the switch")).to_have_count(1)
        expect(people[1].page.get_by_role("button", name="Lower hand")).to_be_visible()
        # The Janus carrying the room dies: the room moves to the other one.
        carrying = janus_of(ann, two_janus)
        carrying.kill()
        started = time.monotonic()
        sees_everyone(people, [ann, people[-1]], timeout=FAILOVER_TIMEOUT)
        print(f"failover: media back {time.monotonic() - started:.1f} s after the kill")
        assert janus_of(ann, two_janus) is not carrying
    finally:
        server.kill()
