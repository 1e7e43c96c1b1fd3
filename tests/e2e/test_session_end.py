"""A call lasts longer than its access tokens, and no longer than its login session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import GlimpseServer
from tests.e2e.people import ann_and_bob_meet, eventually

TOKEN_TTL = 15
"""Seconds; short, so a call sees several access tokens expire."""


@pytest.fixture
def short_tokens(tmp_path: Path, chromium_path: Path) -> Iterator[GlimpseServer]:
    running = GlimpseServer(
        tmp_path / "data", tmp_path / "server.log", GLIMPSE_ACCESS_TOKEN_TTL=str(TOKEN_TTL)
    )
    running.start()
    yield running
    running.kill()


def test_a_call_outlives_its_access_tokens_on_one_socket(
    browser: Browser, short_tokens: GlimpseServer
) -> None:
    ann, bob, _ = ann_and_bob_meet(browser, short_tokens.base_url, "Long call")
    for person in (ann, bob):
        eventually(
            lambda person=person: person.page.evaluate("() => window.__sockets.renewals") >= 2,
            f"{person.name}'s socket renews its token twice",
            timeout=6 * TOKEN_TTL,
        )
    for person in (ann, bob):  # never closed for an expired token, so never reconnected
        assert person.page.evaluate("() => window.__sockets.opened") == 1
        expect(person.connection()).to_have_text("Connected")
    bob.open_chat()
    ann.say("still here")
    expect(bob.messages().filter(has_text="still here")).to_have_count(1)


def test_signing_out_in_one_tab_ends_the_call_in_another(
    browser: Browser, server: GlimpseServer
) -> None:
    ann, bob, _ = ann_and_bob_meet(browser, server.base_url, "Short call")
    dashboard = ann.context.new_page()  # the same browser: the same login session
    dashboard.goto("/")
    dashboard.get_by_role("button", name="Sign out").click()

    # The session ended under Ann's call: a dialog says so over the page, her devices stop;
    # signing out from it, the room's link shows its invite page (a guest's way in, or signing in).
    ended = ann.page.get_by_role("alertdialog", name="Your session has ended")
    expect(ended).to_be_visible()
    ann.devices_released()
    ended.get_by_role("button", name="Sign out").click()
    expect(ann.page.get_by_role("button", name="Join as a guest")).to_be_visible()
    expect(bob.tile("Ann")).to_have_count(0)
