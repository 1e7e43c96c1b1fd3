"""A log-in storm against a real `glimpse serve`: the server's peak memory, and what another user
waits for meanwhile.

    python -m bench.login_storm [--checkout DIR] [--attempts 64] [--rounds 3]

Starts the Glimpse of `--checkout` (default: this one) on a free port with a fresh SQLite
database, signs up a storm target and a bystander, then fires `--attempts` concurrent log-ins at
the target (half with the right password, half wrong), `--rounds` times, while the bystander
reads `GET /api/users/me` in a loop. Prints the server's peak RSS (VmHWM, Linux) before and after
the storm, the answers' status codes, and the bystander's latencies. Run it with the checkout's
settings defaults unless GLIMPSE_* variables say otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from bench.glimpse_process import REPO_DIR, memory_mib, start_glimpse, wait_ready
from bench.servers import free_port

PASSWORD = "storm target password"  # noqa: S105 (a bench account)
PROBE_INTERVAL = 0.05


async def sign_up(client: httpx.AsyncClient, email: str) -> str:
    body = {"email": email, "display_name": email.split("@")[0], "password": PASSWORD}
    response = await client.post("/api/auth/register", json=body)
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


async def probe(client: httpx.AsyncClient, token: str, stop: asyncio.Event) -> list[float]:
    """The bystander: `GET /api/users/me` every PROBE_INTERVAL until `stop`; latencies in ms."""
    latencies = []
    headers = {"Authorization": f"Bearer {token}"}
    while not stop.is_set():
        started = time.perf_counter()
        (await client.get("/api/users/me", headers=headers)).raise_for_status()
        latencies.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(PROBE_INTERVAL)
    return latencies


async def storm(base_url: str, email: str, attempts: int) -> tuple[Counter[int], float]:
    """`attempts` concurrent log-ins, each on its own connection; status counts and seconds."""
    limits = httpx.Limits(max_connections=attempts, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as client:
        started = time.perf_counter()
        responses = await asyncio.gather(
            *(
                client.post(
                    "/api/auth/login",
                    json={"email": email, "password": PASSWORD if n % 2 else "wrong password"},
                )
                for n in range(attempts)
            )
        )
    return Counter(response.status_code for response in responses), time.perf_counter() - started


def summary(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "count": len(ordered),
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
        "max_ms": round(ordered[-1], 1),
    }


async def measure(checkout: Path, attempts: int, rounds: int) -> dict[str, Any]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="login-storm-") as data_dir:
        server = start_glimpse(checkout, Path(data_dir), port)
        try:
            async with httpx.AsyncClient(base_url=base_url, timeout=120) as client:
                await wait_ready(base_url, server)
                await sign_up(client, "target@example.org")
                bystander = await sign_up(client, "bystander@example.org")
                stop = asyncio.Event()
                asyncio.get_running_loop().call_later(2.0, stop.set)
                quiet = await probe(client, bystander, stop)
                rss_before = memory_mib(server.pid, "VmHWM")

                stop = asyncio.Event()
                watching = asyncio.create_task(probe(client, bystander, stop))
                statuses: Counter[int] = Counter()
                durations = []
                for _ in range(rounds):
                    counts, seconds = await storm(base_url, "target@example.org", attempts)
                    statuses.update(counts)
                    durations.append(round(seconds, 2))
                stop.set()
                during = await watching
                return {
                    "checkout": str(checkout),
                    "attempts": attempts,
                    "rounds": rounds,
                    "statuses": dict(sorted(statuses.items())),
                    "storm_seconds": durations,
                    "peak_rss_mib_before": round(rss_before, 1),
                    "peak_rss_mib_after": round(memory_mib(server.pid, "VmHWM"), 1),
                    "bystander_quiet": summary(quiet),
                    "bystander_during_storm": summary(during),
                }
        finally:
            server.terminate()
            server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkout", type=Path, default=REPO_DIR, help="the Glimpse to run")
    parser.add_argument("--attempts", type=int, default=64, help="concurrent log-ins per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    result = asyncio.run(measure(args.checkout.resolve(), args.attempts, args.rounds))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
