"""The web client works under the server's Content-Security-Policy: nothing is blocked."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.e2e.conftest import GlimpseServer
from tests.e2e.people import Person

RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) =>
  window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`));
"""


def meets_under_the_policy(browser: Browser, base_url: str, name: str) -> Person:
    person = Person(browser, base_url, name)
    person.context.add_init_script(script=RECORD_VIOLATIONS)
    return person


def test_signing_up_and_a_call_break_no_rule_of_the_policy(
    browser: Browser, server: GlimpseServer
) -> None:
    ann = meets_under_the_policy(browser, server.base_url, "Ann")
    page = ann.page.goto("/")
    assert page is not None
    assert "script-src 'self';" in page.headers["content-security-policy"]
    ann.sign_up()
    invite = ann.create_room("Policy review")
    ann.page.goto(invite)
    ann.join()
    bob = meets_under_the_policy(browser, server.base_url, "Bob")
    bob.sign_up(invite)
    bob.join()
    bob.sees_video_of("Ann")
    ann.sees_video_of("Bob")
    ann.say("hello under the policy")
    bob.open_chat()
    expect(bob.messages()).to_have_count(1)
    for person in (ann, bob):
        assert person.page.evaluate("window.cspViolations") == [], person.name
