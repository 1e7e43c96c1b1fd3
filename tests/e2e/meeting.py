"""The meeting beyond the call, in the words of the UI: joining as a guest from an invite link,
waiting in the lobby, a host's actions on a participant; and the owner's room settings, which
the tests change through the HTTP API."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from playwright.sync_api import Locator, expect

from tests.e2e.people import PASSWORD, Person

API_TIMEOUT = 10.0


def open_invite_signed_out(guest: Person, invite: str, room_name: str, owner: str) -> None:
    """The invite page names the room and who hosts it."""
    guest.page.goto(invite)
    expect(guest.page.get_by_role("heading", name=room_name)).to_be_visible()
    expect(guest.page.get_by_text(f"Hosted by {owner}")).to_be_visible()


def join_as_guest(guest: Person) -> None:
    """On the invite page: a name, "Join as a guest", then the pre-join's "Join room"; they end up
    in the call or in the lobby."""
    guest.page.get_by_label("Your name").fill(guest.name)
    guest.page.get_by_role("button", name="Join as a guest").click()
    guest.page.get_by_role("button", name="Join room").click()


def expect_waiting(person: Person) -> None:
    expect(person.page.get_by_role("heading", name="Waiting to be let in")).to_be_visible()
    expect(person.page.get_by_text("A host will let you in soon.")).to_be_visible()


def expect_in_call(person: Person) -> None:
    expect(person.control("Leave")).to_be_visible()


def lobby(host: Person) -> Locator:
    """The host's lobby panel, opened from the toolbar when closed."""
    panel = host.page.get_by_role("region", name="Lobby")
    if not panel.is_visible():
        host.control("Lobby").click()
    expect(panel).to_be_visible()
    return panel


def act_on(host: Person, name: str, action: str) -> None:
    """In the participants panel: "Actions for <name>", then the menu item `action`."""
    if host.control("Participants").get_attribute("aria-pressed") != "true":
        host.control("Participants").click()
    host.page.get_by_role("button", name=f"Actions for {name}").click()
    host.page.get_by_role("menuitem", name=action, exact=True).click()


def notice(person: Person, text: str) -> Locator:
    return person.page.get_by_role("status").filter(has_text=text)


@contextmanager
def owner_api(base_url: str, owner: Person, invite: str) -> Iterator[tuple[httpx.Client, str]]:
    """The HTTP API as the room's owner (signed in on a session of its own), and the room's id."""
    code = invite.rsplit("/r/", 1)[1]
    with httpx.Client(base_url=base_url, timeout=API_TIMEOUT) as http:
        signed_in = http.post("/api/auth/login", json={"email": owner.email, "password": PASSWORD})
        token = signed_in.raise_for_status().json()["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"
        room = http.get(f"/api/rooms/by-code/{code}").raise_for_status().json()
        yield http, room["id"]


def change_room(base_url: str, owner: Person, invite: str, **changes: Any) -> dict[str, Any]:
    """PATCH /api/rooms/{id} as the room's owner."""
    with owner_api(base_url, owner, invite) as (http, room_id):
        changed = http.patch(f"/api/rooms/{room_id}", json=changes)
        result: dict[str, Any] = changed.raise_for_status().json()
        return result


def delete_room(base_url: str, owner: Person, invite: str) -> None:
    """DELETE /api/rooms/{id} as the room's owner."""
    with owner_api(base_url, owner, invite) as (http, room_id):
        http.delete(f"/api/rooms/{room_id}").raise_for_status()
