"""Someone typing and sending fast (a message every 0.3 s) stays in the call, and every message
arrives once: typing and the outbox keep to the server's documented rates."""

from __future__ import annotations

import time

from playwright.sync_api import Browser, expect

from tests.e2e.conftest import GlimpseServer
from tests.e2e.people import Person, ann_opens_a_room

MESSAGES = 60
INTERVAL = 0.3


def test_sixty_messages_typed_at_0_3_s_arrive_once_and_the_sender_stays(
    browser: Browser, server: GlimpseServer
) -> None:
    ann, invite = ann_opens_a_room(browser, server.base_url, "Fast typing")
    bob = Person(browser, server.base_url, "Bob")
    bob.sign_up(invite)
    bob.join()
    bob.sees_video_of("Ann")
    ann.open_chat()
    bob.open_chat()
    box = ann.page.get_by_role("textbox", name="Message")
    expected = [f"message {n} 🎉" for n in range(MESSAGES)]
    for text in expected:
        started = time.monotonic()
        box.press_sequentially(text)  # a typing signal per key, as a person's
        box.press("Enter")
        time.sleep(max(0.0, INTERVAL - (time.monotonic() - started)))
    expect(bob.messages()).to_have_count(MESSAGES, timeout=30_000)
    assert bob.message_texts() == expected
    expect(ann.page.locator(".messages li.pending")).to_have_count(0)
    assert ann.message_texts() == expected
    ann.say("still here")  # the socket was never closed: Ann is in the call, Bob sees her
    expect(bob.messages().filter(has_text="still here")).to_have_count(1)
    bob.sees_video_of("Ann")
