"""The first message must authenticate the socket, within the time limit."""

from __future__ import annotations

from tests.conftest import RunningServer, ServerFactory


async def test_socket_that_never_authenticates_is_closed(start_server: ServerFactory) -> None:
    server = await start_server(auth_timeout=0.3)
    client = await server.connect()
    assert await client.close_code() == 4408


async def test_first_message_must_be_auth(server: RunningServer) -> None:
    client = await server.connect()
    await client.send({"type": "join", "room": "x", "ref": "early"})
    error = await client.expect("error")
    assert (error["code"], error["request"], error["ref"]) == ("not_authenticated", "join", "early")
    assert await client.close_code() == 4401


async def test_bad_token_is_refused(server: RunningServer) -> None:
    client = await server.connect()
    await client.send({"type": "auth", "token": "not-a-jwt", "ref": "a"})
    error = await client.expect("error")
    assert (error["code"], error["request"]) == ("invalid_token", "auth")
    assert await client.close_code() == 4401


async def test_a_signed_out_sessions_token_is_refused(server: RunningServer) -> None:
    user = await server.register()
    assert (await user.http.post("/api/auth/logout")).status_code == 204
    client = await server.connect()
    await client.send({"type": "auth", "token": user.token})
    assert (await client.expect("error"))["code"] == "session_revoked"
    assert await client.close_code() == 4401


async def test_authenticated_answer_names_the_user(server: RunningServer) -> None:
    user = await server.register("Erin")
    client = await server.connect()
    await client.send({"type": "auth", "token": user.token, "ref": "a1"})
    authenticated = await client.expect("authenticated")
    expires_in = authenticated.pop("expires_in")
    assert authenticated == {
        "type": "authenticated", "user_id": user.id, "display_name": "Erin", "ref": "a1"
    }  # fmt: skip
    assert server.settings.access_token_ttl - 2 <= expires_in <= server.settings.access_token_ttl
    await client.send({"type": "auth", "token": user.token})
    assert (await client.expect("error"))["code"] == "already_authenticated"
