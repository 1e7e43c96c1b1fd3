"""Security headers on the web client, its assets and the API; HSTS only over HTTPS."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import InProcessServer, ServerFactory

EXPECTED = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "permissions-policy": "camera=(self), microphone=(self), display-capture=(self)",
}


@pytest.fixture
async def web_server(start_server: ServerFactory, tmp_path: Path) -> InProcessServer:
    web = tmp_path / "web"
    (web / "assets").mkdir(parents=True)
    (web / "index.html").write_text('<script type="module" src="/assets/app.js"></script>')
    (web / "assets" / "app.js").write_text("console.log('hi')")
    return await start_server(web_dir=web)


def assert_secured(response: httpx.Response) -> None:
    for name, value in EXPECTED.items():
        assert response.headers[name] == value, name
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response.headers["content-security-policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"  # no inline script
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["img-src"] == "'self' data: blob:"
    assert policy["media-src"] == "'self' blob:"
    host = response.request.headers["host"]
    assert policy["connect-src"] == f"'self' ws://{host} wss://{host}"
    assert "strict-transport-security" not in response.headers  # plain HTTP


async def test_every_kind_of_response_carries_the_headers(web_server: InProcessServer) -> None:
    page = await web_server.http.get("/")
    assert page.status_code == 200
    assert_secured(page)
    client_route = await web_server.http.get("/r/kq7x-m2pa-9rtv")
    assert_secured(client_route)
    asset = await web_server.http.get("/assets/app.js")
    assert asset.status_code == 200
    assert_secured(asset)
    api = await web_server.http.get("/api/rooms")
    assert api.status_code == 401
    assert_secured(api)
    assert_secured(await web_server.http.get("/healthz"))
    assert_secured(await web_server.http.get("/api/nothing-here"))


async def test_the_api_docs_page_gets_its_own_policy(web_server: InProcessServer) -> None:
    docs = await web_server.http.get("/api/docs")
    assert "https://cdn.jsdelivr.net" in docs.headers["content-security-policy"]
    assert docs.headers["x-content-type-options"] == "nosniff"


async def test_hsts_when_a_trusted_proxy_says_https(start_server: ServerFactory) -> None:
    server = await start_server()  # trusts 127.0.0.1, where the test connects from
    over_https = await server.http.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert over_https.headers["strict-transport-security"] == "max-age=31536000"
    untrusted = await start_server(trusted_proxies="10.0.0.1")
    forged = await untrusted.http.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert "strict-transport-security" not in forged.headers
