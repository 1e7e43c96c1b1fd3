"""The README's scale-out set-up as `make cluster` runs it: nginx in front of two instances."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from glimpse.settings import Settings
from tests.cluster.conftest import Cluster
from tests.conftest import RunningServer, free_port, wait_until
from tests.realtime.fixtures import CHROMIUM_OFFER
from tests.server_process import STARTUP_TIMEOUT

REPO = Path(__file__).resolve().parents[2]


async def answers_ready(server: RunningServer) -> bool:
    try:
        return (await server.http.get("/readyz")).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture
async def behind_nginx(cluster: Cluster) -> AsyncIterator[list[RunningServer]]:
    """deploy/cluster.sh on free ports: [nginx, first instance, second instance]."""
    assert shutil.which("nginx", path="/usr/sbin:/usr/bin"), (
        "nginx is not installed: apt-get install nginx (.ci/services.sh does)"
    )
    ports = [free_port() for _ in range(3)]
    env = cluster.environment(
        CLUSTER_PORT=str(ports[0]),
        CLUSTER_INSTANCE_PORTS=f"{ports[1]} {ports[2]}",
        CLUSTER_JANUS_PORTS=f"{free_port()} {free_port()}",
        GLIMPSE_DATA_DIR=str(cluster.folder / "data"),
    )
    log = cluster.folder / "cluster.log"
    with log.open("wb") as output:
        script = await asyncio.create_subprocess_exec(
            REPO / "deploy" / "cluster.sh",
            env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    servers = [RunningServer(Settings(host="127.0.0.1", port=port)) for port in ports]
    try:
        for server in servers:
            await wait_until(
                lambda server=server: answers_ready(server),
                STARTUP_TIMEOUT,
                f"cluster not ready:\n{log.read_text()}",
            )
        yield servers
    finally:
        script.terminate()
        try:
            await asyncio.wait_for(script.wait(), 15)
        except TimeoutError:
            os.killpg(script.pid, signal.SIGKILL)
        for server in servers:
            await server.http.aclose()


async def test_a_room_spans_both_instances_through_nginx(
    behind_nginx: list[RunningServer],
) -> None:
    nginx, first, second = behind_nginx
    owner = await nginx.register("ann")
    room = await nginx.create_room(owner, "Through nginx")
    ann = await nginx.connect(owner)  # WebSocket upgrade through nginx
    ann_id = (await ann.join(room["code"]))["participant_id"]

    bob = await first.connect(await first.register("bob"))
    bob_id = (await bob.join(room["code"]))["participant_id"]
    carl = await second.connect(await second.register("carl"))
    joined = await carl.join(room["code"])
    assert {p["id"] for p in joined["participants"]} == {
        ann_id, bob_id, joined["participant_id"]
    }  # fmt: skip
    for _ in range(2):
        await ann.expect("participant-joined")
    await bob.expect("participant-joined")

    sent = await ann.chat("hello through nginx")
    for client in (bob, carl):
        assert (await client.expect("chat"))["message"] == sent
    await carl.send({"type": "signal", "to": ann_id, "kind": "offer", "sdp": CHROMIUM_OFFER})
    await carl.expect("ack")
    assert (await ann.expect("signal"))["sender"] == joined["participant_id"]

    history = await nginx.http.get(f"/api/rooms/{room['id']}/messages", headers=owner.headers)
    assert [m["text"] for m in history.json()["messages"]] == ["hello through nginx"]


async def test_metrics_are_scraped_from_each_instance_never_through_nginx(
    behind_nginx: list[RunningServer],
) -> None:
    nginx, first, second = behind_nginx
    assert (await nginx.http.get("/metrics")).status_code == 404
    for instance in (first, second):
        assert (await instance.http.get("/metrics")).status_code == 200


async def test_the_cluster_s_janus_carry_a_room_set_to_the_sfu(
    behind_nginx: list[RunningServer],
) -> None:
    nginx, first, second = behind_nginx
    owner = await nginx.register("ann")
    room = await nginx.create_room(owner, "Through Janus")
    changed = await nginx.http.patch(
        f"/api/rooms/{room['id']}", json={"media_mode": "sfu"}, headers=owner.headers
    )
    assert changed.status_code == 200, changed.text
    ann = await first.connect(owner)
    assert (await ann.join(room["code"]))["media_path"] == {"mode": "sfu", "generation": 1}
    bob = await second.connect(await second.register("bob"))
    assert (await bob.join(room["code"]))["media_path"] == {"mode": "sfu", "generation": 1}
