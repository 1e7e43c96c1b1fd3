"""/ws accepts handshakes from the server's own origin, listed origins, and non-browser clients."""

from __future__ import annotations

import pytest
import websockets
from websockets.exceptions import InvalidStatus
from websockets.typing import Origin

from glimpse.edge.origins import origin_allowed
from tests.conftest import RunningServer, ServerFactory


async def opens(server: RunningServer, origin: str | None) -> bool:
    """Whether a handshake with this Origin header opens a socket (False: refused with 403)."""
    try:
        socket = await websockets.connect(server.ws_url, origin=Origin(origin) if origin else None)
    except InvalidStatus as refused:
        assert refused.response.status_code == 403
        assert b"GLIMPSE_ALLOWED_ORIGINS" in refused.response.body
        return False
    await socket.close()
    return True


async def test_same_origin_and_clients_without_an_origin_are_accepted_others_refused(
    server: RunningServer,
) -> None:
    own = f"http://127.0.0.1:{server.settings.port}"  # the client's Host header is 127.0.0.1:port
    assert await opens(server, None)  # not a browser
    assert await opens(server, own)
    assert await opens(server, own.replace("http:", "https:"))  # TLS at a proxy in front
    assert not await opens(server, "http://evil.example")
    assert not await opens(server, f"http://127.0.0.1:{server.settings.port + 1}")
    assert not await opens(server, "null")
    assert not await opens(server, f"ftp://127.0.0.1:{server.settings.port}")


async def test_a_refused_origin_leaves_no_socket_behind(start_server: ServerFactory) -> None:
    server = await start_server(max_websockets=1)
    for _ in range(3):
        assert not await opens(server, "http://evil.example")
    user = await server.register()
    await server.connect(user)  # the only slot is still free


async def test_listed_origins_and_any_origin(start_server: ServerFactory) -> None:
    listed = await start_server(allowed_origins="https://app.example, https://other.example/")
    assert await opens(listed, "https://app.example")
    assert await opens(listed, "https://other.example")
    assert await opens(listed, f"http://127.0.0.1:{listed.settings.port}")  # its own, still
    assert not await opens(listed, "https://app.example:8443")
    anyone = await start_server(allowed_origins="*")
    assert await opens(anyone, "http://evil.example")


@pytest.mark.parametrize(
    ("origin", "host", "allowed"),
    [
        ("https://meet.example", "meet.example", True),
        ("https://meet.example", "meet.example:443", True),
        ("http://meet.example:80", "meet.example", True),
        ("HTTPS://Meet.Example", "meet.example", True),
        ("https://meet.example", "meet.example:8443", False),
        ("https://meet.example.evil", "meet.example", False),
        ("https://meet.example", None, False),
        ("https://[::1]:8000", "[::1]:8000", True),
    ],
)
def test_same_origin_compares_host_and_port(origin: str, host: str | None, allowed: bool) -> None:
    assert origin_allowed(origin, host, "") is allowed
