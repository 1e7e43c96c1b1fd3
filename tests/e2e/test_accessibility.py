"""axe-core finds no serious or critical violation in any state of the client, and the keyboard
reaches what it must: focus on each new page's heading, into the chat box, Escape out of panels."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.e2e.axe import axe_violations
from tests.e2e.conftest import GlimpseServer
from tests.e2e.people import Person


def assert_accessible(page: Page, state: str) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{state}: {violations}"


def focused(page: Page) -> str:
    """The focused element: its tag and text."""
    text: str = page.evaluate(
        "() => `${document.activeElement.tagName}:${document.activeElement.textContent}`"
    )
    return text


def test_every_state_passes_axe_and_the_keyboard_gets_around(
    browser: Browser, server: GlimpseServer
) -> None:
    ann = Person(browser, server.base_url, "Ann")
    page = ann.page
    page.goto("/signin")
    expect(page.get_by_role("heading", name="Sign in to Glimpse")).to_be_focused()
    assert_accessible(page, "sign-in")

    ann.sign_up()
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    assert_accessible(page, "dashboard")
    invite = ann.create_room("Axe")
    assert_accessible(page, "dashboard with a room")

    page.goto(invite)
    expect(page.get_by_role("heading", name="Axe")).to_be_focused()
    assert_accessible(page, "pre-join")

    ann.join()
    ann.control("Chat").click()
    expect(page.get_by_role("textbox", name="Message")).to_be_focused()
    ann.say("hello")
    expect(ann.messages()).to_have_count(1)
    log = page.get_by_role("log", name="Chat messages")
    expect(log).to_have_attribute("tabindex", "0")
    assert_accessible(page, "call with chat open")
    page.keyboard.press("Escape")
    expect(page.get_by_role("heading", name="Chat")).to_have_count(0)
    expect(ann.control("Chat")).to_be_focused()

    ann.control("Participants").click()
    expect(page.get_by_role("heading", name="Participants (1)")).to_be_focused()
    assert_accessible(page, "call with participants open")
    page.keyboard.press("Escape")
    expect(page.get_by_role("heading", name="Participants (1)")).to_have_count(0)

    ann.control("Devices").click()
    expect(page.get_by_role("heading", name="Devices")).to_be_focused()
    assert_accessible(page, "call with devices open")
    page.keyboard.press("Escape")
    expect(page.get_by_role("heading", name="Devices")).to_have_count(0)

    ann.control("Leave").click()
    expect(page.get_by_role("heading", name="You left the room")).to_be_focused()
    assert_accessible(page, "ended")
    ann.close()
