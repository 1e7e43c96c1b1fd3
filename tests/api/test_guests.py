"""Guests over HTTP: what an invite link shows, guest credentials (created, limited per address,
renewed), and what a guest credential is refused: every user route, and any other room."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import Guest, RunningServer, ServerFactory

GUEST_ROUTES = {("GET", "/api/ice-servers"), ("POST", "/api/guests/renew")}
"""The only routes that take a guest's credential (besides the WebSocket)."""
PUBLIC_ROUTES = {
    ("GET", "/api/auth/policy"),
    ("POST", "/api/auth/register"),
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/refresh"),
    ("POST", "/api/auth/logout"),
    ("GET", "/api/invites/{code}"),
    ("POST", "/api/invites/{code}/guests"),
}
"""Routes that need no credential (the walk below finds any new one: it answers without)."""


async def test_an_invite_link_shows_the_room_and_its_owner(server: RunningServer) -> None:
    owner = await server.register("Olivia")
    room = await server.create_room(owner, "Weekly sync", password="open sesame")
    response = await server.http.get(f"/api/invites/{room['code'].upper()}")  # no sign-in
    assert response.status_code == 200, response.text
    assert response.json() == {
        "room": {
            "id": room["id"], "code": room["code"], "name": "Weekly sync", "has_password": True,
            "allow_guests": True, "lobby": "off", "media_mode": "auto",
        },
        "owner_name": "Olivia",
        "recording": False,
    }  # fmt: skip
    missing = await server.http.get("/api/invites/zzzz-zzzz-zzzz")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "room_not_found"


async def test_invite_links_are_looked_up_within_the_room_lookup_limit(
    start_server: ServerFactory,
) -> None:
    server = await start_server(room_lookup_limit_per_address="2/hour")
    room = await server.create_room(await server.register())
    assert (await server.http.get(f"/api/invites/{room['code']}")).status_code == 200
    assert (await server.http.get("/api/invites/zzzz-zzzz-zzzz")).status_code == 404
    limited = await server.http.get(f"/api/invites/{room['code']}")
    assert limited.status_code == 429


async def test_a_guest_gets_a_credential_for_the_room(server: RunningServer) -> None:
    owner = await server.register()
    room = await server.create_room(owner)
    response = await server.http.post(
        f"/api/invites/{room['code']}/guests", json={"display_name": "  Gus  "}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["room_id"] == room["id"]
    assert body["display_name"] == "Gus"
    assert body["guest_id"].startswith("guest-")
    assert 590 <= body["expires_in"] <= 600
    another = await server.guest(room["code"], "Gus")
    assert another.id != body["guest_id"]

    for name in ["", "   ", "x" * 65, "Gus\x00", "line\nbreak", "bell\x07"]:
        refused = await server.http.post(
            f"/api/invites/{room['code']}/guests", json={"display_name": name}
        )
        assert refused.status_code == 422, name
        assert refused.json()["error"]["code"] == "validation_error"
    unknown = await server.http.post(
        "/api/invites/zzzz-zzzz-zzzz/guests", json={"display_name": "Gus"}
    )
    assert unknown.status_code == 404


async def test_no_guests_when_the_owner_turned_them_off(server: RunningServer) -> None:
    owner = await server.register()
    room = await server.create_room(owner)
    earlier = await server.guest(room["code"])
    changed = await server.http.patch(
        f"/api/rooms/{room['id']}", json={"allow_guests": False}, headers=owner.headers
    )
    assert changed.json()["allow_guests"] is False

    info = (await server.http.get(f"/api/invites/{room['code']}")).json()
    assert info["room"]["allow_guests"] is False
    refused = await server.http.post(
        f"/api/invites/{room['code']}/guests", json={"display_name": "Gus"}
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "guests_not_allowed"
    renewal = await server.http.post("/api/guests/renew", headers=earlier.headers)
    assert renewal.status_code == 403
    assert renewal.json()["error"]["code"] == "guests_not_allowed"
    socket = await server.connect(earlier)
    await socket.send({"type": "join", "room": room["code"], "ref": "j"})
    error = await socket.expect("error")
    assert (error["code"], error["ref"]) == ("guests_not_allowed", "j")
    await socket.close()


@pytest.fixture
async def elsewhere() -> AsyncIterator[httpx.AsyncTransport]:
    """Connections from 127.0.0.2: another client address for the server."""
    async with httpx.AsyncHTTPTransport(local_address="127.0.0.2") as transport:
        yield transport


async def test_guests_are_limited_per_client_address(
    start_server: ServerFactory, elsewhere: httpx.AsyncTransport
) -> None:
    server = await start_server(guest_limit_per_address="2/hour")
    owner = await server.register()
    room = await server.create_room(owner)
    path = f"/api/invites/{room['code']}/guests"
    for _ in range(2):
        assert (await server.http.post(path, json={"display_name": "G"})).status_code == 201
    limited = await server.http.post(path, json={"display_name": "G"})
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1
    async with httpx.AsyncClient(
        base_url=server.base_url, transport=elsewhere, timeout=10
    ) as other_address:
        assert (await other_address.post(path, json={"display_name": "G"})).status_code == 201


async def _api_routes(server: RunningServer) -> set[tuple[str, str]]:
    """Every method and path of the app's HTTP API, from its route table as the OpenAPI schema
    publishes it (no /api route is left out of the schema)."""
    schema = (await server.http.get("/api/openapi.json")).json()
    return {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        if path.startswith("/api/")
        for method in operations
    }


async def test_a_guest_credential_opens_no_user_route(server: RunningServer) -> None:
    owner = await server.register()
    room = await server.create_room(owner)
    guest = await server.guest(room["code"])
    values = {
        "room_id": room["id"], "code": room["code"], "member_id": owner.id,
        "recording_id": "0" * 32,
    }  # fmt: skip
    routes = await _api_routes(server)
    assert routes >= GUEST_ROUTES | PUBLIC_ROUTES

    for method, path in sorted(routes - GUEST_ROUTES - PUBLIC_ROUTES):
        url = path.format(**values)
        anonymous = await server.http.request(method, url, json={})
        assert anonymous.status_code == 401, f"{method} {path} answers without a credential"
        as_guest = await server.http.request(method, url, json={}, headers=guest.headers)
        assert as_guest.status_code == 401, f"{method} {path} took a guest's credential"
        assert as_guest.json()["error"]["code"] == "invalid_token"


async def test_ice_servers_for_a_guest(start_server: ServerFactory) -> None:
    server = await start_server(
        ice_servers="stun:stun.example.org:3478, turn:turn.example.org:3478",
        turn_secret="t" * 40,
    )
    owner = await server.register()
    guest = await server.guest((await server.create_room(owner))["code"])
    response = await server.http.get("/api/ice-servers", headers=guest.headers)
    assert response.status_code == 200, response.text
    stun, turn = response.json()["ice_servers"]
    assert stun == {"urls": ["stun:stun.example.org:3478"], "username": None, "credential": None}
    assert turn["username"].endswith(f":{guest.id}")
    assert (await server.http.get("/api/ice-servers", headers=owner.headers)).status_code == 200


async def renew(server: RunningServer, token: str) -> httpx.Response:
    return await server.http.post("/api/guests/renew", headers={"Authorization": f"Bearer {token}"})


async def test_a_guest_renews_its_credential(server: RunningServer) -> None:
    owner = await server.register()
    room = await server.create_room(owner)
    guest = await server.guest(room["code"], "Gus")
    response = await renew(server, guest.token)
    assert response.status_code == 200, response.text
    renewed: dict[str, Any] = response.json()
    assert {key: renewed[key] for key in ("guest_id", "room_id", "display_name")} == {
        "guest_id": guest.id, "room_id": room["id"], "display_name": "Gus"
    }  # fmt: skip
    assert 590 <= renewed["expires_in"] <= 600
    again = await renew(server, renewed["token"])
    assert again.json()["guest_id"] == guest.id

    for token in [owner.token, "not a token", guest.token[:-4] + "AAAA"]:
        refused = await renew(server, token)
        assert refused.status_code == 401, token
        assert refused.json()["error"]["code"] == "invalid_token"
    assert (await server.http.post("/api/guests/renew")).status_code == 401


async def test_an_expired_guest_credential_is_refused(start_server: ServerFactory) -> None:
    server = await start_server(guest_token_ttl=1)
    owner = await server.register()
    guest = await server.guest((await server.create_room(owner))["code"])
    for _ in range(50):  # the clock passes the expiry within about 2 s
        response = await renew(server, guest.token)
        if response.status_code == 401:
            break
        await asyncio.sleep(0.1)
    assert response.json()["error"]["code"] == "token_expired"


async def test_a_guest_joins_no_other_room(server: RunningServer) -> None:
    owner = await server.register()
    room = await server.create_room(owner)
    other = await server.create_room(owner, "Other")
    guest: Guest = await server.guest(room["code"])
    socket = await server.connect(guest)
    for elsewhere in (other["code"], other["id"]):
        await socket.send({"type": "join", "room": elsewhere, "ref": "j"})
        error = await socket.expect("error")
        assert (error["code"], error["request"]) == ("forbidden", "join"), elsewhere
    joined = await socket.join(room["code"].upper())
    assert joined["room"]["id"] == room["id"]
    await socket.close()
