"""The server restarts during a call: the clients come back by themselves, chat intact."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.e2e.conftest import GlimpseServer
from tests.e2e.people import ann_and_bob_meet

RESTART_TIMEOUT_MS = 30_000


def test_clients_return_to_the_room_after_a_server_restart(
    browser: Browser, server: GlimpseServer
) -> None:
    ann, bob, _ = ann_and_bob_meet(browser, server.base_url, "Resilient")
    ann.sees_video_of("Bob")
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
    bob.sees_video_of("Ann")
    ann.sees_video_of("Bob")
    for person in (ann, bob):
        for text in ("sent just before the restart", "sent while the server was down"):
            expect(person.messages().filter(has_text=text)).to_have_count(1)
        expect(person.page.locator(".messages li.pending")).to_have_count(0)

    bob.say("back again")
    expect(ann.messages().filter(has_text="back again")).to_have_count(1)
