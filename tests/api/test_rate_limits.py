"""HTTP rate limits against abuse: 429 with Retry-After and the typed body, per client address
(a second loopback address, 127.0.0.2, is another client) and per account or user."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import RunningServer, ServerFactory, User, free_port

LOW = "2/hour"
LIMITED_ROUTES = {
    ("post", "/api/auth/register"),
    ("post", "/api/auth/login"),
    ("post", "/api/auth/refresh"),
    ("get", "/api/ice-servers"),
    ("get", "/api/rooms/by-code/{code}"),
    ("post", "/api/rooms"),
    ("patch", "/api/users/me"),
    ("post", "/api/auth/invites"),
    ("patch", "/api/rooms/{room_id}"),
    ("post", "/api/rooms/{room_id}/members"),
    ("get", "/api/invites/{code}"),
    ("post", "/api/invites/{code}/guests"),
}


def assert_rate_limited(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["error"]["code"] == "rate_limited"
    retry_after = response.headers["Retry-After"]
    assert retry_after.isdigit()
    assert 1 <= int(retry_after) <= 3600


@pytest.fixture
async def elsewhere() -> AsyncIterator[httpx.AsyncTransport]:
    """Connections from 127.0.0.2: another client address for the server."""
    async with httpx.AsyncHTTPTransport(local_address="127.0.0.2") as transport:
        yield transport


def client_from(
    server: RunningServer, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server.base_url, transport=transport, timeout=10)


async def log_in(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/auth/login", json={"email": email, "password": password})


async def test_log_ins_are_limited_per_address(
    start_server: ServerFactory, elsewhere: httpx.AsyncTransport
) -> None:
    server = await start_server(login_limit_per_address=LOW)
    ann = await server.register("Ann")
    email = ann.profile["email"]
    assert (await log_in(server.http, email, "wrong guess")).status_code == 401
    assert (await log_in(server.http, email, "correct horse")).status_code == 200
    assert_rate_limited(await log_in(server.http, email, "correct horse"))  # every attempt counts
    assert_rate_limited(await log_in(server.http, "nobody@example.org", "anything"))
    async with client_from(server, elsewhere) as other_address:
        assert (await log_in(other_address, email, "correct horse")).status_code == 200


async def test_failed_log_ins_are_limited_per_account_from_any_address(
    start_server: ServerFactory, elsewhere: httpx.AsyncTransport
) -> None:
    server = await start_server(login_limit_per_account=LOW)
    ann, bob = await server.register("Ann"), await server.register("Bob")
    for _ in range(3):  # right passwords are given back: they never use the limit up
        assert (await log_in(server.http, ann.profile["email"], "correct horse")).status_code == 200
    assert (await log_in(server.http, ann.profile["email"], "guess 1")).status_code == 401
    async with client_from(server, elsewhere) as other_address:
        assert (await log_in(other_address, ann.profile["email"], "guess 2")).status_code == 401
        assert_rate_limited(await log_in(other_address, ann.profile["email"], "correct horse"))
    assert_rate_limited(await log_in(server.http, ann.profile["email"].upper(), "correct horse"))
    assert (await log_in(server.http, bob.profile["email"], "correct horse")).status_code == 200


async def test_sign_ups_are_limited_per_address(
    start_server: ServerFactory, elsewhere: httpx.AsyncTransport
) -> None:
    server = await start_server(register_limit_per_address=LOW)
    await server.register()
    await server.register()
    refused = await server.http.post(
        "/api/auth/register",
        json={"email": "third@example.org", "display_name": "Third", "password": "long enough"},
    )
    assert_rate_limited(refused)
    async with client_from(server, elsewhere) as other_address:
        accepted = await other_address.post(
            "/api/auth/register",
            json={"email": "third@example.org", "display_name": "Third", "password": "long enough"},
        )
    assert accepted.status_code == 201, accepted.text


async def test_refreshes_are_limited_per_address(start_server: ServerFactory) -> None:
    server = await start_server(refresh_limit_per_address=LOW)
    ann = await server.register("Ann")
    assert (await ann.http.post("/api/auth/refresh")).status_code == 200
    assert (await ann.http.post("/api/auth/refresh")).status_code == 200
    assert_rate_limited(await ann.http.post("/api/auth/refresh"))
    assert_rate_limited(await server.http.post("/api/auth/refresh"))  # no cookie: still counted


async def test_turn_credentials_are_limited_per_user(start_server: ServerFactory) -> None:
    server = await start_server(ice_servers_limit_per_user=LOW)
    ann, bob = await server.register("Ann"), await server.register("Bob")

    async def ice_servers(user: User) -> httpx.Response:
        return await server.http.get("/api/ice-servers", headers=user.headers)

    assert (await ice_servers(ann)).status_code == 200
    assert (await ice_servers(ann)).status_code == 200
    assert_rate_limited(await ice_servers(ann))
    assert (await ice_servers(bob)).status_code == 200


async def test_room_lookups_are_limited_per_user(start_server: ServerFactory) -> None:
    server = await start_server(room_lookup_limit_per_user=LOW)
    ann, bob = await server.register("Ann"), await server.register("Bob")
    code = (await server.create_room(ann))["code"]

    async def look_up(user: User, code: str) -> httpx.Response:
        return await server.http.get(f"/api/rooms/by-code/{code}", headers=user.headers)

    assert (await look_up(ann, code)).status_code == 200
    assert (await look_up(ann, "zzzz-zzzz-zzzz")).status_code == 404  # misses count too
    assert_rate_limited(await look_up(ann, code))
    assert (await look_up(bob, code)).status_code == 200


async def test_room_lookups_are_limited_per_address(
    start_server: ServerFactory, elsewhere: httpx.AsyncTransport
) -> None:
    server = await start_server(room_lookup_limit_per_address=LOW)
    ann, bob = await server.register("Ann"), await server.register("Bob")
    path = f"/api/rooms/by-code/{(await server.create_room(ann))['code']}"
    assert (await server.http.get(path, headers=ann.headers)).status_code == 200
    assert (await server.http.get(path, headers=bob.headers)).status_code == 200
    assert_rate_limited(await server.http.get(path, headers=bob.headers))
    async with client_from(server, elsewhere) as other_address:
        assert (await other_address.get(path, headers=bob.headers)).status_code == 200


async def test_the_schema_documents_the_429s(server: RunningServer) -> None:
    schema = (await server.http.get("/api/openapi.json")).json()
    documented = {
        (method, path)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "429" in operation["responses"]
    }
    assert documented == LIMITED_ROUTES
    login_429 = schema["paths"]["/api/auth/login"]["post"]["responses"]["429"]
    assert "Retry-After" in login_429["headers"]


async def test_without_redis_log_ins_still_work_and_are_still_limited(
    start_server: ServerFactory,
) -> None:
    """Redis unreachable: no 500, each instance counts on its own."""
    server = await start_server(
        bus_url=f"redis://127.0.0.1:{free_port()}/0", login_limit_per_address=LOW
    )
    ann = await server.register("Ann")
    assert (await log_in(server.http, ann.profile["email"], "correct horse")).status_code == 200
    assert (await log_in(server.http, ann.profile["email"], "wrong guess")).status_code == 401
    assert_rate_limited(await log_in(server.http, ann.profile["email"], "correct horse"))
