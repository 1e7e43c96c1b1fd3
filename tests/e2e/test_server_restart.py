"""The signaling path breaks during a call (the server restarts; one page's WebSocket drops):
the clients come back by themselves with their participant ids, the peer connections carry the
video throughout, and the chat is delivered once."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.e2e.conftest import GlimpseServer
from tests.e2e.people import Person, ann_and_bob_meet

RESTART_TIMEOUT_MS = 30_000
MAX_STALL_MS = 2_000
"""The longest a remote video may go without a new decoded frame while signaling is down (the
fake camera sends about 30 a second; a shared, loaded machine may pause a page for a moment)."""


def watch_video(people: tuple[Person, Person]) -> dict[str, int]:
    """Each watches the other's video; returns the peer connections each page has created."""
    ann, bob = people
    ann.watch_frames("Bob")
    bob.watch_frames("Ann")
    return {person.name: person.peer_connections_created() for person in people}


def video_held(people: tuple[Person, Person], created: dict[str, int]) -> None:
    """Each page still decodes the other's video on the one peer connection it had, with no
    stall longer than MAX_STALL_MS, and created no other."""
    ann, bob = people
    for person, other in ((ann, "Bob"), (bob, "Ann")):
        person.sees_video_of(other)
        watch = person.frame_watch()
        print(f"{person.name} watching {other}: {watch}")  # the figures, with -s
        assert len(watch["connections"]) == 1, f"{person.name}: {watch}"
        assert watch["longestStallMs"] < MAX_STALL_MS, f"{person.name}: {watch}"
        assert person.peer_connections_created() == created[person.name]


def test_clients_resume_after_a_server_restart_on_the_same_peer_connections(
    browser: Browser, server: GlimpseServer
) -> None:
    ann, bob, _ = ann_and_bob_meet(browser, server.base_url, "Resilient")
    ann.sees_video_of("Bob")
    created = watch_video((ann, bob))
    ann.open_chat()
    bob.open_chat()

    ann.say("sent just before the restart")
    server.kill()
    for person in (ann, bob):
        expect(person.connection()).to_have_text("Reconnecting…")
    ann.say("sent while the server was down")

    server.start()
    for person in (ann, bob):
        expect(person.connection()).to_have_text("Connected", timeout=RESTART_TIMEOUT_MS)
    for person, other in ((ann, "Bob"), (bob, "Ann")):
        expect(person.tile(other).get_by_role("status")).to_have_count(0)  # not reconnecting
    video_held((ann, bob), created)
    for person in (ann, bob):
        for text in ("sent just before the restart", "sent while the server was down"):
            expect(person.messages().filter(has_text=text)).to_have_count(1)
        expect(person.page.locator(".messages li.pending")).to_have_count(0)

    bob.say("back again")
    expect(ann.messages().filter(has_text="back again")).to_have_count(1)


def test_a_websocket_cut_keeps_the_call_on_the_same_peer_connections(
    browser: Browser, server: GlimpseServer
) -> None:
    ann, bob, _ = ann_and_bob_meet(browser, server.base_url, "Blip")
    ann.sees_video_of("Bob")
    created = watch_video((ann, bob))
    ann.open_chat()
    bob.open_chat()

    ann.cut_signaling()
    expect(ann.connection()).to_have_text("Reconnecting…")
    expect(bob.tile("Ann").get_by_role("status")).to_have_text("Reconnecting…")
    expect(bob.connection()).to_have_text("Connected")
    ann.say("sent while my signaling was down")
    bob.sees_video_of("Ann")  # media flows on while Ann's signaling is down
    ann.sees_video_of("Bob")

    ann.restore_signaling()
    expect(ann.connection()).to_have_text("Connected", timeout=RESTART_TIMEOUT_MS)
    expect(bob.tile("Ann").get_by_role("status")).to_have_count(0)
    video_held((ann, bob), created)
    expect(bob.messages().filter(has_text="sent while my signaling was down")).to_have_count(1)
    expect(ann.page.locator(".messages li.pending")).to_have_count(0)
    bob.say("glad you are back")
    expect(ann.messages().filter(has_text="glad you are back")).to_have_count(1)
