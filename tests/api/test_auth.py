"""Accounts and log-in sessions over the real HTTP API."""

from __future__ import annotations

import time

import httpx
import jwt

from tests.conftest import RunningServer

REFRESH_COOKIE = "glimpse_refresh"
SESSION_MARKER = "glimpse_session"


async def _refresh_with(server: RunningServer, cookie: str) -> httpx.Response:
    """A refresh from another browser that holds only this cookie."""
    async with httpx.AsyncClient(base_url=server.base_url, cookies={REFRESH_COOKIE: cookie}) as c:
        return await c.post("/api/auth/refresh")


async def test_register_returns_tokens_and_sets_an_httponly_refresh_cookie(
    server: RunningServer,
) -> None:
    response = await server.http.post(
        "/api/auth/register",
        json={"email": "Ann@Example.org", "display_name": " Ann ", "password": "long enough"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["user"]["email"] == "ann@example.org"
    assert body["user"]["display_name"] == "Ann"
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == server.settings.access_token_ttl
    cookie, marker = response.headers.get_list("set-cookie")
    assert cookie.startswith(f"{REFRESH_COOKIE}=")
    assert "HttpOnly" in cookie
    assert "Path=/api/auth" in cookie
    assert "samesite=strict" in cookie.lower()
    # The page reads the marker to know there is a session to refresh; it holds no secret.
    assert marker.startswith(f"{SESSION_MARKER}=1;")
    assert "HttpOnly" not in marker
    assert "Path=/;" in marker
    me = await server.http.get(
        "/api/users/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.json()["id"] == body["user"]["id"]


async def test_register_rejects_a_taken_email_and_bad_fields(server: RunningServer) -> None:
    payload = {"email": "bob@example.org", "display_name": "Bob", "password": "long enough"}
    assert (await server.http.post("/api/auth/register", json=payload)).status_code == 201
    again = await server.http.post(
        "/api/auth/register", json={**payload, "email": "BOB@example.org"}
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "email_taken"
    short = await server.http.post(
        "/api/auth/register", json={**payload, "email": "c@example.org", "password": "short"}
    )
    assert short.status_code == 422
    assert short.json()["error"]["code"] == "validation_error"
    assert "password" in short.json()["error"]["message"]
    assert short.json()["error"]["fields"] == {
        "password": "String should have at least 8 characters"
    }
    bad_email = await server.http.post(
        "/api/auth/register", json={**payload, "email": "not an email"}
    )
    assert bad_email.status_code == 422
    assert set(bad_email.json()["error"]["fields"]) == {"email"}


async def test_login_checks_the_password(server: RunningServer) -> None:
    user = await server.register("carol", password="right password")
    email = user.profile["email"]
    wrong = await server.http.post(
        "/api/auth/login", json={"email": email, "password": "wrong password"}
    )
    assert wrong.status_code == 401
    assert wrong.json() == {
        "error": {"code": "invalid_credentials", "message": "wrong e-mail or password"}
    }
    unknown = await server.http.post(
        "/api/auth/login", json={"email": "nobody@example.org", "password": "right password"}
    )
    assert unknown.json()["error"]["code"] == "invalid_credentials"
    right = await server.http.post(
        "/api/auth/login", json={"email": email.upper(), "password": "right password"}
    )
    assert right.status_code == 200
    assert right.json()["user"]["id"] == user.id


async def test_refresh_rotates_and_reuse_revokes_the_session(server: RunningServer) -> None:
    user = await server.register()
    first_cookie = user.http.cookies[REFRESH_COOKIE]

    rotated = await user.http.post("/api/auth/refresh")
    assert rotated.status_code == 200
    second_cookie = user.http.cookies[REFRESH_COOKIE]
    assert second_cookie != first_cookie
    new_token = rotated.json()["access_token"]
    me = await server.http.get("/api/users/me", headers={"Authorization": f"Bearer {new_token}"})
    assert me.json()["id"] == user.id

    # An attacker replays the first (already rotated) token: refused, and the session dies.
    replay = await _refresh_with(server, first_cookie)
    assert replay.status_code == 401
    assert replay.json()["error"]["code"] == "refresh_token_reused"
    legit = await _refresh_with(server, second_cookie)
    assert legit.status_code == 401
    assert legit.json()["error"]["code"] == "session_revoked"
    assert await _me_with(server, new_token) == (401, "session_revoked")


async def test_logout_revokes_the_refresh_token(server: RunningServer) -> None:
    user = await server.register()
    cookie = user.http.cookies[REFRESH_COOKIE]
    out = await user.http.post("/api/auth/logout")
    assert out.status_code == 204
    assert REFRESH_COOKIE not in user.http.cookies
    assert SESSION_MARKER not in user.http.cookies
    after = await _refresh_with(server, cookie)
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "session_revoked"
    assert await _me_with(server, user.token) == (401, "session_revoked")
    other_session = await server.register()  # other sessions are untouched
    assert (await _me_with(server, other_session.token))[0] == 200


async def test_refresh_without_or_with_unknown_cookie(server: RunningServer) -> None:
    missing = await server.http.post("/api/auth/refresh")
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "invalid_refresh_token"
    unknown = await _refresh_with(server, "made-up")
    assert unknown.json()["error"]["code"] == "invalid_refresh_token"


def _claims(server: RunningServer, user_id: str, **changes: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": user_id,
        "sid": "s",
        "iat": now,
        "exp": now + 60,
        "iss": server.settings.jwt_issuer,
        "aud": server.settings.jwt_audience,
    }
    claims.update(changes)
    return claims


async def _me_with(server: RunningServer, token: str) -> tuple[int, str]:
    response = await server.http.get("/api/users/me", headers={"Authorization": f"Bearer {token}"})
    return response.status_code, response.json().get("error", {}).get("code", "")


async def test_access_tokens_expired_forged_or_unsigned_are_refused(server: RunningServer) -> None:
    user = await server.register()
    secret = server.settings.signing_secret
    assert await _me_with(server, jwt.encode(_claims(server, user.id), secret)) == (200, "")

    expired = jwt.encode(_claims(server, user.id, exp=int(time.time()) - 10), secret)
    assert await _me_with(server, expired) == (401, "token_expired")

    forged = jwt.encode(_claims(server, user.id), "x" * 48)
    assert await _me_with(server, forged) == (401, "invalid_token")

    unsigned = jwt.encode(_claims(server, user.id), None, algorithm="none")
    assert await _me_with(server, unsigned) == (401, "invalid_token")

    other_alg = jwt.encode(_claims(server, user.id), secret, algorithm="HS512")
    assert await _me_with(server, other_alg) == (401, "invalid_token")

    wrong_audience = jwt.encode(_claims(server, user.id, aud="someone-else"), secret)
    assert await _me_with(server, wrong_audience) == (401, "invalid_token")

    wrong_issuer = jwt.encode(_claims(server, user.id, iss="someone-else"), secret)
    assert await _me_with(server, wrong_issuer) == (401, "invalid_token")

    claims = _claims(server, user.id)
    del claims["exp"]
    assert await _me_with(server, jwt.encode(claims, secret)) == (401, "invalid_token")

    missing = await server.http.get("/api/users/me")
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "not_authenticated"
