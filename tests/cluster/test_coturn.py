"""deploy/turnserver.conf relays for the TURN credentials an instance hands out, only to public
addresses, and within its allocation quotas."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cluster.turn import TurnClient
from tests.conftest import RunningServer, ServerFactory
from tests.coturn import CONFIG, Coturn, running_coturn


async def relays(coturn: Coturn, username: str, password: str) -> bool:
    """turnutils_uclient allocates a relay with these credentials and echoes through it."""
    client = await asyncio.create_subprocess_exec(
        "turnutils_uclient", "-u", username, "-w", password, "-p", str(coturn.port),
        "-y", "-n", "3", "-m", "1", "-e", "127.0.0.1", "127.0.0.1",
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(client.communicate(), 30)
    return client.returncode == 0 and b"Total lost packets 0 " in output


@pytest.fixture
def coturn(tmp_path: Path) -> Iterator[Coturn]:
    with running_coturn(tmp_path) as server:
        yield server


@pytest.fixture
async def instance(coturn: Coturn, start_server: ServerFactory) -> RunningServer:
    """A Glimpse instance that hands out credentials for this coturn."""
    return await start_server(
        ice_servers=f"stun:127.0.0.1:{coturn.port},turn:127.0.0.1:{coturn.port}?transport=udp",
        turn_secret=coturn.secret,
    )


async def turn_credentials(server: RunningServer) -> tuple[str, str]:
    """A new user's TURN username and password."""
    user = await server.register()
    response = await server.http.get("/api/ice-servers", headers=user.headers)
    turn = next(entry for entry in response.json()["ice_servers"] if entry["username"])
    return turn["username"], turn["credential"]


def configured(name: str) -> int:
    """A numeric setting of deploy/turnserver.conf."""
    line = next(line for line in CONFIG.read_text().splitlines() if line.startswith(f"{name}="))
    return int(line.partition("=")[2])


async def test_coturn_relays_for_glimpse_credentials_only(
    coturn: Coturn, instance: RunningServer
) -> None:
    username, password = await turn_credentials(instance)
    assert await relays(coturn, username, password)
    assert not await relays(coturn, username, "not-the-credential")


@pytest.mark.parametrize(
    ("family", "peers"),
    [
        (4, ["10.0.0.1", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1"]),
        (6, ["::ffff:192.0.2.1", "::ffff:127.0.0.1", "64:ff9b::c000:201",
             "64:ff9b:1::c000:201", "fd00::1", "fe80::1"]),
    ],
)  # fmt: skip
async def test_coturn_refuses_to_relay_to_private_mapped_and_nat64_addresses(
    coturn: Coturn, instance: RunningServer, family: int, peers: list[str]
) -> None:
    """CreatePermission names the peer; coturn answers 403 and sends it nothing."""
    client = TurnClient(coturn.port, *await turn_credentials(instance))
    try:
        assert (await client.allocate(family)).ok
        public = "192.0.2.1" if family == 4 else "2001:db8::1"  # documentation ranges
        assert (await client.create_permission(public)).ok
        for peer in peers:
            answer = await client.create_permission(peer)
            assert (answer.code, answer.reason) == (403, "Forbidden IP"), peer
    finally:
        client.close()


async def test_coturn_bounds_the_relays_of_one_user(
    coturn: Coturn, instance: RunningServer
) -> None:
    credentials = await turn_credentials(instance)
    quota = configured("user-quota")
    clients = [TurnClient(coturn.port, *credentials) for _ in range(quota + 1)]
    clients.append(TurnClient(coturn.port, *await turn_credentials(instance)))  # someone else
    try:
        for client in clients[:quota]:
            assert (await client.allocate()).ok
        assert (await clients[quota].allocate()).code == 486  # Allocation Quota Reached
        assert (await clients[-1].allocate()).ok
    finally:
        for client in clients:
            client.close()
