"""Real Janus processes for the SFU tests (tests/janus.py), and Glimpse servers that use them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import InProcessServer, RunningServer, ServerFactory, User, WsClient
from tests.janus import Janus, running_janus

SfuServerFactory = Callable[..., Awaitable[InProcessServer]]


@pytest.fixture
def janus(tmp_path: Path) -> Iterator[Janus]:
    with running_janus(tmp_path) as server:
        yield server


@pytest.fixture
def second_janus(tmp_path: Path, janus: Janus) -> Iterator[Janus]:
    """Another Janus with the first one's secrets."""
    with running_janus(tmp_path, secrets_of=janus) as server:
        yield server


def janus_settings(*servers: Janus) -> dict[str, Any]:
    """Settings of a Glimpse that uses these Janus (started with the same secrets)."""
    assert len({(s.api_secret, s.admin_key) for s in servers}) == 1, "one set of secrets"
    return {
        "janus_urls": ",".join(server.url for server in servers),
        "janus_api_secret": servers[0].api_secret,
        "janus_admin_key": servers[0].admin_key,
    }


@pytest.fixture
def start_sfu_server(janus: Janus, start_server: ServerFactory) -> SfuServerFactory:
    """A Glimpse server on the `janus` fixture's Janus (settings overrides as `start_server`);
    the servers stop before Janus does."""

    async def start(**overrides: Any) -> InProcessServer:
        return await start_server(**{**janus_settings(janus), **overrides})

    return start


async def sfu_room(server: RunningServer, owner: User, media_mode: str = "sfu") -> dict[str, Any]:
    """A new room of `owner`'s with that media mode."""
    room = await server.create_room(owner)
    response = await server.http.patch(
        f"/api/rooms/{room['id']}", json={"media_mode": media_mode}, headers=owner.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["media_mode"] == media_mode
    return room


async def ann_and_bob(server: RunningServer) -> tuple[WsClient, WsClient, str]:
    """Ann and Bob connected, and the code of Ann's new room with media through the SFU."""
    ann, bob = await server.register("Ann"), await server.register("Bob")
    room = await sfu_room(server, ann)
    return await server.connect(ann), await server.connect(bob), room["code"]
