"""ICE servers, health, readiness, docs and the shape of errors."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from tests.conftest import RunningServer, ServerFactory


async def test_ice_servers_with_time_limited_turn_credentials(start_server: ServerFactory) -> None:
    secret = "t" * 40
    server = await start_server(
        ice_servers="stun:stun.example.org:3478, turn:turn.example.org:3478?transport=udp",
        turn_secret=secret,
        turn_ttl=600,
        ice_transport_policy="relay",
    )
    user = await server.register()
    body = (await server.http.get("/api/ice-servers", headers=user.headers)).json()
    stun, turn = body["ice_servers"]
    assert stun == {"urls": ["stun:stun.example.org:3478"], "username": None, "credential": None}
    assert turn["urls"] == ["turn:turn.example.org:3478?transport=udp"]
    expiry, user_id = turn["username"].split(":")
    assert user_id == user.id
    assert 590 <= int(expiry) - time.time() <= 610
    expected = hmac.new(secret.encode(), turn["username"].encode(), hashlib.sha1).digest()
    assert base64.b64decode(turn["credential"]) == expected
    assert body["ttl"] == 600
    assert body["ice_transport_policy"] == "relay"
    anonymous = await server.http.get("/api/ice-servers")
    assert anonymous.status_code == 401


async def test_health_readiness_and_docs(server: RunningServer) -> None:
    assert (await server.http.get("/healthz")).json() == {"status": "ok"}
    assert (await server.http.get("/readyz")).json() == {"status": "ok"}
    docs = await server.http.get("/api/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
    schema = (await server.http.get("/api/openapi.json")).json()
    assert "/api/auth/register" in schema["paths"]
    assert "/api/rooms/{room_id}/messages" in schema["paths"]


async def test_errors_are_typed_json(server: RunningServer) -> None:
    missing = await server.http.get("/api/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong_method = await server.http.put("/api/auth/login")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"
    malformed = await server.http.post(
        "/api/auth/login", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 422
    assert malformed.json()["error"]["code"] == "validation_error"


async def test_signing_secret_is_generated_once_and_kept(start_server: ServerFactory) -> None:
    server = await start_server()
    secret_file = server.settings.data_dir / "jwt-secret"
    secret = secret_file.read_text()
    assert len(secret) >= 32
    assert secret_file.stat().st_mode & 0o077 == 0
    user = await server.register()
    again = await start_server(data_dir=server.settings.data_dir)
    assert again.settings.signing_secret == secret
    me = await again.http.get("/api/users/me", headers=user.headers)
    assert me.status_code == 200
