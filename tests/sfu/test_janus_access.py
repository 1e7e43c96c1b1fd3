"""Nobody reaches a Janus room without Glimpse: Janus listens only with its WebSocket API on
127.0.0.1 (no admin API), wants the API secret, and a room Glimpse created wants its pin (and
subscriptions a publisher's private id), which only Glimpse knows."""

from __future__ import annotations

import secrets
import socket
from urllib.parse import urlsplit

import psutil  # type: ignore[import-untyped]
import pytest

from glimpse.sfu.janus import JanusError, JanusSession
from glimpse.sfu.registry import VIDEOROOM
from tests.conftest import wait_until
from tests.janus import PROBING, Janus
from tests.sfu.conftest import SfuServerFactory, sfu_room
from tests.sfu.peers import Publisher

pytestmark = pytest.mark.timeout(60)
UNAUTHORIZED = 403
"""Janus's core error for a request without the right API secret."""
MISSING = 429
"""The videoroom's error for a join without a pin, in a room that has one."""
UNAUTHORIZED_JOIN = 433
"""The videoroom's error for a join with a wrong pin (or a subscription without a publisher's
private id)."""
ADMIN_PORTS = (7088, 7188, 7889, 7989)
"""Janus's default admin API ports: HTTP, WebSocket, and their TLS forms."""


async def test_a_direct_attempt_on_a_glimpse_room_is_refused(
    janus: Janus, start_sfu_server: SfuServerFactory
) -> None:
    server = await start_sfu_server()
    owner = await server.register("Owner")
    room = await sfu_room(server, owner)
    client = await server.connect(owner)
    await client.join(room["code"])
    camera = Publisher()
    await camera.publish(client)
    path = await server.services.sfu.paths.current(room["id"])
    assert path.mode == "sfu" and path.janus == janus.url and path.room

    connections = psutil.Process(janus.process.pid).net_connections("tcp")
    listening = {(c.laddr.ip, c.laddr.port) for c in connections if c.status == psutil.CONN_LISTEN}
    assert listening == {("127.0.0.1", urlsplit(janus.url).port)}  # the WebSocket API only
    for port in ADMIN_PORTS:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()

    with pytest.raises(JanusError) as no_secret:
        await JanusSession.connect(janus.url, secrets.token_urlsafe(32), probing=PROBING)
    assert no_secret.value.code == UNAUTHORIZED

    session = await JanusSession.connect(janus.url, janus.api_secret, probing=PROBING)  # leaked
    try:
        intruder = await session.attach(VIDEOROOM)
        listed = await intruder.request({"request": "list"})
        assert path.room not in [listed_room["room"] for listed_room in listed.data["list"]]
        for pin, code in ({}, MISSING), ({"pin": secrets.token_urlsafe(24)}, UNAUTHORIZED_JOIN):
            with pytest.raises(JanusError) as no_pin:
                await intruder.request(
                    {"request": "join", "ptype": "publisher", "room": path.room, **pin}
                )
            assert no_pin.value.code == code

        async def publishing() -> bool:
            listed = await intruder.request({"request": "listparticipants", "room": path.room})
            return any(p.get("publisher") for p in listed.data["participants"])

        await wait_until(publishing, 10, "the owner's camera reached Janus")
        listed = await intruder.request({"request": "listparticipants", "room": path.room})
        [publisher] = listed.data["participants"]
        with pytest.raises(JanusError) as no_private_id:  # even with the pin
            await intruder.request(
                {"request": "join", "ptype": "subscriber", "room": path.room, "pin": path.pin,
                 "streams": [{"feed": publisher["id"]}]}
            )  # fmt: skip
        assert no_private_id.value.code == UNAUTHORIZED_JOIN
        with pytest.raises(JanusError):  # nor may it destroy the room
            await intruder.request({"request": "destroy", "room": path.room})
        with pytest.raises(JanusError):  # nor create one without the admin key
            await intruder.request({"request": "create"})
    finally:
        await session.close()
        await camera.close()
