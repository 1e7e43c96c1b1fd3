"""Sign-up policy (GLIMPSE_SIGNUP): open, closed, or by invite from the operator or a user."""

from __future__ import annotations

import contextlib
import io
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from glimpse.auth.signup import SignupPolicy
from glimpse.cli import main
from tests.conftest import InProcessServer, RunningServer, ServerFactory


def _signup(email: str, invite: str | None = None) -> dict[str, Any]:
    body = {"email": email, "display_name": "New", "password": "a fine password"}
    return body if invite is None else {**body, "invite": invite}


async def _register(server: RunningServer, email: str, invite: str | None = None) -> httpx.Response:
    return await server.http.post("/api/auth/register", json=_signup(email, invite))


def _operator_invite(server: InProcessServer, email: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """`glimpse invite EMAIL` run on the server's data folder: the invite in the link it prints."""
    monkeypatch.setenv("GLIMPSE_DATA_DIR", str(server.settings.data_dir))
    monkeypatch.setenv("GLIMPSE_SIGNUP", server.settings.signup)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        main(["invite", email, "--url", server.base_url])
    link = urlsplit(output.getvalue().strip())
    assert f"{link.scheme}://{link.netloc}" == server.base_url
    assert link.path == "/signup"
    return parse_qs(link.query)["invite"][0]


async def test_open_sign_up_is_the_default(server: RunningServer) -> None:
    policy = await server.http.get("/api/auth/policy")
    assert policy.json() == {"signup": "open"}
    assert (await _register(server, "anyone@example.org")).status_code == 201


async def test_closed_sign_up_refuses_every_registration(
    start_server: ServerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = await start_server(signup="closed")
    assert (await server.http.get("/api/auth/policy")).json() == {"signup": "closed"}

    response = await _register(server, "anyone@example.org")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "signup_closed"
    monkeypatch.setenv("GLIMPSE_DATA_DIR", str(server.settings.data_dir))
    monkeypatch.setenv("GLIMPSE_SIGNUP", "closed")
    with pytest.raises(SystemExit, match="closed"):
        main(["invite", "anyone@example.org"])


async def test_invite_only_sign_up(
    start_server: ServerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = await start_server(signup="invite")
    assert (await server.http.get("/api/auth/policy")).json() == {"signup": "invite"}
    without = await _register(server, "ann@example.org")
    assert without.status_code == 403
    assert without.json()["error"]["code"] == "invite_required"

    invite = _operator_invite(server, "Ann@Example.org", monkeypatch)
    other_email = await _register(server, "eve@example.org", invite)
    assert other_email.status_code == 403
    assert other_email.json()["error"]["code"] == "invalid_invite"
    forged = await _register(server, "ann@example.org", invite[:-4] + "AAAA")
    assert forged.json()["error"]["code"] == "invalid_invite"
    ann = await _register(server, "ann@example.org", invite)
    assert ann.status_code == 201, ann.text
    again = await _register(server, "ann@example.org", invite)
    assert again.status_code == 409  # the invite served its one account

    ann_token = ann.json()["access_token"]
    anonymous = await server.http.post("/api/auth/invites", json={"email": "bob@example.org"})
    assert anonymous.status_code == 401
    minted = await server.http.post(
        "/api/auth/invites",
        json={"email": "bob@example.org"},
        headers={"Authorization": f"Bearer {ann_token}"},
    )
    assert minted.status_code == 201, minted.text
    body = minted.json()
    assert body["invite_path"].startswith("/signup?invite=")
    assert body["expires_in"] == server.settings.invite_ttl
    bob = await _register(server, "bob@example.org", body["invite"])
    assert bob.status_code == 201, bob.text
    token_as_invite = await _register(server, "ann@example.org", ann_token)
    assert token_as_invite.json()["error"]["code"] == "invalid_invite"


async def test_an_expired_or_foreign_invite_is_refused(start_server: ServerFactory) -> None:
    server = await start_server(signup="invite")
    secret = server.settings.signing_secret
    expired = SignupPolicy("invite", secret, server.settings.jwt_audience, -60).invite(
        "late@example.org"
    )
    response = await _register(server, "late@example.org", expired)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "invite_expired"

    foreign = SignupPolicy("invite", "x" * 48, server.settings.jwt_audience, 600).invite(
        "late@example.org"
    )
    assert (await _register(server, "late@example.org", foreign)).json()["error"][
        "code"
    ] == "invalid_invite"


async def test_invites_are_limited_per_user(
    start_server: ServerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = await start_server(signup="invite", invite_limit_per_user="2/day")
    ann = await _register(
        server, "ann@example.org", _operator_invite(server, "ann@example.org", monkeypatch)
    )
    headers = {"Authorization": f"Bearer {ann.json()['access_token']}"}

    async def mint(email: str) -> httpx.Response:
        return await server.http.post("/api/auth/invites", json={"email": email}, headers=headers)

    assert (await mint("bob@example.org")).status_code == 201
    assert (await mint("cy@example.org")).status_code == 201
    refused = await mint("dee@example.org")
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) >= 1
