"""The built web client (web/dist, as `make web-build` writes it) through a real server: each file
precompressed by Accept-Encoding, and cached by whether its name is hashed."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from glimpse.app import DEFAULT_WEB_DIR
from glimpse.web_client import accepted_encodings
from tests.conftest import InProcessServer, ServerFactory

IMMUTABLE = "public, max-age=31536000, immutable"
NODE_TIMEOUT = 30.0


def _bundle() -> Path:
    if not (DEFAULT_WEB_DIR / "index.html").is_file():
        message = f"{DEFAULT_WEB_DIR} is not built: make web-build"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return DEFAULT_WEB_DIR


def _unbrotli(data: bytes) -> bytes:
    """Brotli decoded by Node's zlib (the server has no Brotli library: it only sends files)."""
    node = shutil.which("node")
    assert node is not None, "node is needed to build the client, and here to decode Brotli"
    script = (
        "process.stdout.write(require('zlib').brotliDecompressSync(require('fs').readFileSync(0)))"
    )
    return subprocess.run(  # noqa: S603 (a fixed script)
        [node, "-e", script], input=data, capture_output=True, check=True, timeout=NODE_TIMEOUT
    ).stdout


@pytest.fixture
async def web_server(start_server: ServerFactory) -> InProcessServer:
    return await start_server(web_dir=_bundle())


async def _get(server: InProcessServer, path: str, **headers: str) -> tuple[httpx.Response, bytes]:
    """The response and its body as sent (not decoded)."""
    named = {name.replace("_", "-"): value for name, value in headers.items()}
    async with server.http.stream("GET", path, headers=named) as response:
        return response, b"".join([chunk async for chunk in response.aiter_raw()])


def _script(bundle: Path) -> Path:
    return next((bundle / "assets").glob("index-*.js"))


async def test_hashed_assets_are_compressed_and_cached_for_a_year(
    web_server: InProcessServer,
) -> None:
    bundle = _bundle()
    for asset in (_script(bundle), next((bundle / "assets").glob("*.css"))):
        original = asset.read_bytes()
        path = f"/assets/{asset.name}"
        for accept, coding, decode in (
            ("gzip, deflate, br, zstd", "br", _unbrotli),
            ("gzip, br;q=0", "gzip", gzip.decompress),
        ):
            response, body = await _get(web_server, path, accept_encoding=accept)
            assert response.status_code == 200
            assert response.headers["content-encoding"] == coding
            assert decode(body) == original
            assert len(body) < len(original) / 2
            assert response.headers["content-length"] == str(len(body))
            assert response.headers["cache-control"] == IMMUTABLE
            assert response.headers["vary"] == "Accept-Encoding"
            expected_type = "text/javascript" if asset.suffix == ".js" else "text/css"
            assert response.headers["content-type"].startswith(expected_type)
        plain, body = await _get(web_server, path, accept_encoding="identity")
        assert "content-encoding" not in plain.headers
        assert body == original
        assert plain.headers["cache-control"] == IMMUTABLE


async def test_index_is_revalidated_by_its_etag(web_server: InProcessServer) -> None:
    index = (_bundle() / "index.html").read_bytes()
    for path in ("/", "/r/kq7x-m2pa-9rtv", "/signin"):  # client-side routes: the same page
        response, body = await _get(web_server, path, accept_encoding="gzip")
        assert response.headers["content-encoding"] == "gzip"
        assert gzip.decompress(body) == index
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["content-type"].startswith("text/html")
    again, body = await _get(
        web_server, "/", accept_encoding="gzip", if_none_match=response.headers["etag"]
    )
    assert again.status_code == 304
    assert body == b""
    assert again.headers["etag"] == response.headers["etag"]
    assert again.headers["vary"] == "Accept-Encoding"
    # Each encoding is its own representation, with its own tag.
    brotli, _ = await _get(web_server, "/", accept_encoding="br")
    assert brotli.headers["etag"] != response.headers["etag"]
    changed, _ = await _get(web_server, "/", accept_encoding="gzip", if_none_match='"stale"')
    assert changed.status_code == 200


async def test_missing_assets_and_api_paths_are_not_the_page(web_server: InProcessServer) -> None:
    missing = await web_server.http.get("/assets/index-00000000.js")
    assert missing.status_code == 404
    outside = await web_server.http.get("/assets/%2e%2e/%2e%2e/pyproject.toml")
    assert outside.status_code == 404
    api = await web_server.http.get("/api/nothing-here")
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "not_found"


def test_accept_encoding_is_read_with_its_weights() -> None:
    assert accepted_encodings("gzip, deflate, br") == {"gzip", "deflate", "br"}
    assert accepted_encodings("br;q=0, GZIP;q=0.5") == {"gzip"}
    assert accepted_encodings("br; q=0.0, gzip;q=oops") == set()
    assert accepted_encodings("") == set()
