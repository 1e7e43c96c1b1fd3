"""The client's address: the peer's, or what a trusted proxy forwarded; one rule for HTTP, /ws."""

from __future__ import annotations

import pytest
import websockets

from glimpse.cli import uvicorn_config
from glimpse.edge.client_address import client_address
from glimpse.realtime.connection import WebSocketConnection
from glimpse.settings import Settings
from tests.conftest import InProcessServer, ServerFactory


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "trusted", "address"),
    [
        ("127.0.0.1", [], "127.0.0.1", "127.0.0.1"),
        ("127.0.0.1", ["203.0.113.7"], "127.0.0.1", "203.0.113.7"),
        ("198.51.100.1", ["203.0.113.7"], "127.0.0.1", "198.51.100.1"),  # not a trusted proxy
        ("10.0.0.2", ["203.0.113.7, 10.0.0.9"], "10.0.0.0/8", "203.0.113.7"),  # two proxies
        ("10.0.0.2", ["1.1.1.1, 203.0.113.7"], "10.0.0.0/8", "203.0.113.7"),  # forged first
        ("10.0.0.2", ["203.0.113.7", "10.0.0.9"], "10.0.0.0/8", "203.0.113.7"),  # two headers
        ("192.0.2.5", ["1.1.1.1, 203.0.113.7"], "*", "1.1.1.1"),  # like uvicorn: leftmost
        ("::1", ["2001:db8::7"], "127.0.0.1,::1", "2001:db8::7"),
        ("127.0.0.1", [""], "127.0.0.1", "127.0.0.1"),
    ],
)
def test_the_address_behind_trusted_proxies(
    peer: str, forwarded_for: list[str], trusted: str, address: str
) -> None:
    assert client_address(peer, forwarded_for, trusted) == address


def test_uvicorn_trusts_the_same_proxies_for_http() -> None:
    settings = Settings(trusted_proxies="10.0.0.0/8, 192.0.2.1")
    assert uvicorn_config(settings).forwarded_allow_ips == "10.0.0.0/8, 192.0.2.1"


def session_addresses(server: InProcessServer) -> list[str]:
    """The client address of each open WebSocket's session, as the server holds it."""
    return [
        connection._session.log_fields.client
        for connection in server._server.server_state.connections
        if isinstance(connection, WebSocketConnection) and connection._session is not None
    ]


@pytest.mark.parametrize(
    ("trusted", "address"), [("127.0.0.1", "203.0.113.7"), ("10.0.0.1", "127.0.0.1")]
)
async def test_a_websocket_session_gets_the_resolved_address(
    start_server: ServerFactory, trusted: str, address: str
) -> None:
    server = await start_server(trusted_proxies=trusted)
    socket = await websockets.connect(
        server.ws_url, additional_headers={"X-Forwarded-For": "203.0.113.7"}
    )
    assert session_addresses(server) == [address]
    await socket.close()
