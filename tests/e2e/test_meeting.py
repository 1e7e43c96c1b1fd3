"""The host runs the meeting in real Chromium: a guest joins by link without an account, the lobby
admits and denies, the host mutes and removes people, hands go up and reactions float."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.e2e.conftest import GlimpseServer
from tests.e2e.meeting import (
    act_on,
    change_room,
    delete_room,
    expect_in_call,
    expect_waiting,
    join_as_guest,
    lobby,
    notice,
    open_invite_signed_out,
)
from tests.e2e.people import Person, ann_opens_a_room


def test_a_guest_joins_by_link_raises_a_hand_reacts_and_is_muted_by_the_host(
    browser: Browser, server: GlimpseServer, artifacts: Path
) -> None:
    ann, invite = ann_opens_a_room(browser, server.base_url, "Team sync")

    gus = Person(browser, server.base_url, "Gus")
    open_invite_signed_out(gus, invite, "Team sync", owner="Ann")
    gus.page.screenshot(path=artifacts / "guest-join.png")
    join_as_guest(gus)
    expect_in_call(gus)
    expect(ann.tile("Gus").get_by_text("Guest", exact=True)).to_be_visible()
    gus.sees_video_of("Ann")
    gus.hears("Ann")
    ann.hears("Gus")

    # A raised hand and a reaction show on the guest's tile for the host.
    gus.control("Raise hand").click()
    expect(gus.control("Lower hand")).to_have_attribute("aria-pressed", "true")
    expect(ann.tile("Gus").get_by_label("Hand raised")).to_be_visible()
    gus.control("Reactions").click()
    gus.page.get_by_role("button", name="React 👍").click()
    expect(ann.tile("Gus").locator(".reaction")).to_have_text("👍")
    ann.page.screenshot(path=artifacts / "host-hands-and-reaction.png")

    # The host lowers the hand and mutes the guest: told, and silent on the host's side.
    act_on(ann, "Gus", "Lower hand")
    expect(notice(gus, "Ann lowered your hand")).to_be_visible()
    expect(ann.tile("Gus").get_by_label("Hand raised")).to_have_count(0)
    act_on(ann, "Gus", "Mute")
    expect(notice(gus, "Ann muted your microphone")).to_be_visible()
    expect(gus.control("Unmute microphone")).to_be_visible()
    expect(ann.tile("Gus").locator("[data-indicator=muted]")).to_be_visible()
    ann.hears_silence_from("Gus")
    # Only the guest unmutes, when asked; then the host hears them again.
    act_on(ann, "Gus", "Ask to unmute")
    expect(notice(gus, "Ann asks you to unmute")).to_be_visible()
    gus.control("Unmute microphone").click()
    ann.hears("Gus")


def test_the_lobby_admits_and_denies_a_removed_member_cannot_get_back_in_and_deletion_ends_it(
    browser: Browser, server: GlimpseServer, artifacts: Path
) -> None:
    ann = Person(browser, server.base_url, "Ann")
    ann.sign_up()
    invite = ann.create_room("Board meeting")
    assert change_room(server.base_url, ann, invite, lobby="guests")["lobby"] == "guests"
    ann.page.goto(invite)
    ann.join()
    bob = Person(browser, server.base_url, "Bob")
    bob.sign_up(invite)
    bob.join()  # a signed-in member: only guests wait

    gail = Person(browser, server.base_url, "Gail")
    hugo = Person(browser, server.base_url, "Hugo")
    for guest in (gail, hugo):
        open_invite_signed_out(guest, invite, "Board meeting", owner="Ann")
        join_as_guest(guest)
        expect_waiting(guest)
    expect(ann.control("Lobby")).to_contain_text("2")
    requests = lobby(ann)
    expect(requests.get_by_text("Waiting to join (2)")).to_be_visible()
    ann.page.screenshot(path=artifacts / "host-lobby-request.png")

    requests.get_by_role("button", name="Admit Gail").click()
    expect_in_call(gail)
    expect(gail.tile("Ann")).to_be_visible()
    expect(ann.tile("Gail")).to_be_visible()
    requests.get_by_role("button", name="Deny Hugo").click()
    expect(hugo.page.get_by_role("heading", name="You were not let in")).to_be_visible()
    expect(ann.tile("Hugo")).to_have_count(0)
    hugo.devices_released()

    # Removed, Bob is told, and coming back he waits for a host instead of entering.
    act_on(ann, "Bob", "Remove from meeting")
    expect(
        bob.page.get_by_role("heading", name="You were removed from the meeting")
    ).to_be_visible()
    expect(bob.page.get_by_role("link", name="Rejoin")).to_have_count(0)
    expect(ann.tile("Bob")).to_have_count(0)
    bob.devices_released()
    bob.page.goto(invite)
    bob.page.get_by_role("button", name="Join room").click()
    expect_waiting(bob)
    expect(lobby(ann).get_by_role("button", name="Admit Bob")).to_be_visible()
    expect(ann.tile("Bob")).to_have_count(0)
    expect(gail.tile("Bob")).to_have_count(0)

    # The owner deletes the room: it ends for everyone in it or waiting, and their devices stop.
    delete_room(server.base_url, ann, invite)
    for person in (ann, gail, bob):
        expect(person.page.get_by_role("heading", name="This room was deleted")).to_be_visible()
        person.devices_released()
