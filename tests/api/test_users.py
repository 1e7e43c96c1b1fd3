"""My profile."""

from __future__ import annotations

import httpx

from tests.conftest import RunningServer


async def test_read_and_rename_my_profile(server: RunningServer) -> None:
    user = await server.register("dora")
    me = await server.http.get("/api/users/me", headers=user.headers)
    assert me.json()["display_name"] == "dora"
    renamed = await server.http.patch(
        "/api/users/me", json={"display_name": "Dora D."}, headers=user.headers
    )
    assert renamed.status_code == 200
    assert renamed.json()["display_name"] == "Dora D."
    again = await server.http.get("/api/users/me", headers=user.headers)
    assert again.json()["display_name"] == "Dora D."


async def test_changing_the_password_needs_the_current_one(server: RunningServer) -> None:
    user = await server.register(password="first password")
    refused = await server.http.patch(
        "/api/users/me",
        json={"password": "second password", "current_password": "wrong"},
        headers=user.headers,
    )
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_credentials"
    changed = await server.http.patch(
        "/api/users/me",
        json={"password": "second password", "current_password": "first password"},
        headers=user.headers,
    )
    assert changed.status_code == 200
    email = user.profile["email"]
    old = await server.http.post(
        "/api/auth/login", json={"email": email, "password": "first password"}
    )
    assert old.status_code == 401
    new = await server.http.post(
        "/api/auth/login", json={"email": email, "password": "second password"}
    )
    assert new.status_code == 200


async def test_a_new_password_signs_out_every_other_session_only(server: RunningServer) -> None:
    user = await server.register()
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as laptop:
        signed_in = await laptop.post(
            "/api/auth/login", json={"email": user.profile["email"], "password": "correct horse"}
        )
        laptop_token = signed_in.json()["access_token"]

        changed = await server.http.patch(
            "/api/users/me",
            json={"password": "a new horse", "current_password": "correct horse"},
            headers=user.headers,
        )
        assert changed.status_code == 200

        refused = await laptop.post("/api/auth/refresh")
        assert refused.json()["error"]["code"] == "session_revoked"
        me = await server.http.get(
            "/api/users/me", headers={"Authorization": f"Bearer {laptop_token}"}
        )
        assert me.json()["error"]["code"] == "session_revoked"
    assert (await user.http.post("/api/auth/refresh")).status_code == 200  # the changer's own
    assert (await server.http.get("/api/users/me", headers=user.headers)).status_code == 200


async def test_empty_display_name_is_refused(server: RunningServer) -> None:
    user = await server.register()
    response = await server.http.patch(
        "/api/users/me", json={"display_name": "   "}, headers=user.headers
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
