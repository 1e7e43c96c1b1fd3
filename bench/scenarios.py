"""The benchmark's scenarios (metrics 1-5 of the bench), each run by the Node load generator.

The generator is pinned to one core and the server to the other; each scenario returns the
generator's JSON result, which includes both processes' CPU use where it matters.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import browser
from bench.servers import BENCH_DIR, Fixtures, RunningServer

GENERATOR_CORE = 1
SERVER_CORE = 0
IDLE_ROOM_SIZE = 50


@dataclass(frozen=True)
class Profile:
    """How hard and how long to push; `QUICK` is the smoke test's few seconds."""

    runs: int = 3
    fanout_rooms: tuple[int, ...] = (50, 200)
    start_deliveries_per_s: int = 1000
    growth: float = 1.5
    max_steps: int = 14
    refine_steps: int = 2
    attempts: int = 3
    step_seconds: float = 3.0
    drain_ms: int = 1500
    pause_ms: int = 700
    p99_limit_ms: float = 100.0
    text_chars: int = 100
    latency_room: int = 50
    latency_fraction: float = 0.5
    latency_seconds: float = 5.0
    idle_connections: int = 10000
    idle_cpu_seconds: float = 60.0
    """How long idle CPU is measured: Socket.IO pings every 25 s, Glimpse every 20 s."""
    joinstorm_joins: int = 200
    slow_room: int = 60
    slow_stalled: int = 3
    slow_chats_per_s: float = 100.0
    """Fixed, well under every server's capacity at this message size (~5,600 deliveries/s)."""
    slow_text_chars: int = 3900
    stall_seconds: float = 20.0
    warmup_seconds: float = 3.0
    browser_peers: tuple[int, ...] = (2, 3)

    @property
    def users(self) -> int:
        return max(self.idle_connections, self.joinstorm_joins, self.slow_room, *self.fanout_rooms)

    @property
    def rooms(self) -> int:
        # each fan-out and the latency metric warm a fresh process up in a room of its own
        per_run = 2 * len(self.fanout_rooms) + len(self.browser_peers) + 4
        return self.idle_connections // IDLE_ROOM_SIZE + 1 + self.runs * per_run


QUICK = Profile(
    runs=1,
    fanout_rooms=(10,),
    start_deliveries_per_s=200,
    max_steps=2,
    refine_steps=0,
    attempts=1,
    step_seconds=0.7,
    drain_ms=1000,
    pause_ms=200,
    latency_room=10,
    latency_seconds=0.7,
    idle_connections=60,
    idle_cpu_seconds=1.0,
    joinstorm_joins=20,
    slow_room=20,
    slow_stalled=1,
    slow_text_chars=200,
    stall_seconds=1.0,
    warmup_seconds=0.5,
    browser_peers=(2,),
)


class Scenarios:
    """Runs scenarios against one server, handing out fresh rooms to each."""

    def __init__(self, server: RunningServer, fixtures: Fixtures, profile: Profile, work_dir: Path):
        self.server = server
        self.fixtures = fixtures
        self.profile = profile
        self.work_dir = work_dir
        self._next_room = profile.idle_connections // IDLE_ROOM_SIZE + 1  # idle rooms come first

    def _room(self) -> str:
        room = self.fixtures.room_ids[self._next_room]
        self._next_room += 1
        return room

    def _clients(self, count: int, rooms: list[str]) -> list[dict[str, str]]:
        return [
            {"token": self.fixtures.tokens[index], "room": rooms[index * len(rooms) // count]}
            for index in range(count)
        ]

    def generate(self, scenario: str, clients: list[dict[str, str]], **params: Any) -> Any:
        config = {
            "protocol": self.server.protocol,
            "url": self.server.url,
            "server_pids": self.server.pids,
            "metrics_urls": self.server.metrics_urls,
            "scenario": scenario,
            "clients": clients,
            "pause_ms": self.profile.pause_ms,
            "drain_ms": self.profile.drain_ms,
            "text_chars": self.profile.text_chars,
            **params,
        }
        with tempfile.NamedTemporaryFile("w", suffix=".json", dir=self.work_dir) as file:
            json.dump(config, file)
            file.flush()
            done = subprocess.run(  # noqa: S603 (fixed command)
                [  # noqa: S607 (taskset and node from PATH, like the Makefile)
                    "taskset",
                    "-c",
                    str(GENERATOR_CORE),
                    "node",
                    str(BENCH_DIR / "loadgen.js"),
                    file.name,
                ],
                capture_output=True,
                text=True,
                timeout=900,
                check=False,
            )
        if done.returncode != 0:
            raise RuntimeError(f"{scenario} on {self.server.name} failed: {done.stderr[-2000:]}")
        return json.loads(done.stdout)

    def warmup(self) -> None:
        room_size = min(self.profile.fanout_rooms)
        self.generate(
            "latency",
            self._clients(room_size, [self._room()]),
            rate=self.profile.start_deliveries_per_s / (room_size - 1),
            step_seconds=self.profile.warmup_seconds,
        )

    def fanout(self, room_size: int) -> Any:
        """Metric 1: delivered messages a second with p99 <= the limit, one room."""
        profile = self.profile
        return self.generate(
            "fanout",
            self._clients(room_size, [self._room()]),
            start_rate=max(1, round(profile.start_deliveries_per_s / (room_size - 1))),
            growth=profile.growth,
            max_steps=profile.max_steps,
            refine_steps=profile.refine_steps,
            attempts=profile.attempts,
            step_seconds=profile.step_seconds,
            p99_limit_ms=profile.p99_limit_ms,
        )

    def latency(self, chats_per_s: float) -> Any:
        """Metric 2: latency at a given chat rate (half the baseline's saturation)."""
        return self.generate(
            "latency",
            self._clients(self.profile.latency_room, [self._room()]),
            rate=chats_per_s,
            step_seconds=self.profile.latency_seconds,
        )

    def idle(self) -> Any:
        """Metric 3: memory and CPU per idle connection (authenticated, joined, rooms of 50)."""
        count = self.profile.idle_connections
        rooms = self.fixtures.room_ids[: max(1, count // IDLE_ROOM_SIZE)]
        return self.generate(
            "idle",
            self._clients(count, rooms),
            settle_ms=3000,
            cpu_window_ms=round(self.profile.idle_cpu_seconds * 1000),
        )

    def joinstorm(self) -> Any:
        """Metric 4: N joins within one second into one room."""
        return self.generate(
            "joinstorm",
            self._clients(self.profile.joinstorm_joins, [self._room()]),
            spread_ms=1000,
            timeout_ms=30000,
        )

    def browser_join(self, peers: int) -> dict[str, float]:
        """Metric 6: a newcomer joins peers-1 people in real Chromium (bench's own call page)."""
        [result] = browser.call_page_join(self.server, self.fixtures, [self._room()], peers)
        return result

    def slow(self, chats_per_s: float) -> Any:
        """Metric 5: 5% of the room stops reading while the rest chats."""
        profile = self.profile
        return self.generate(
            "slow",
            self._clients(profile.slow_room, [self._room()]),
            stalled=profile.slow_stalled,
            rate=chats_per_s,
            step_seconds=profile.stall_seconds / 2,
            stall_seconds=profile.stall_seconds,
            slow_text_chars=profile.slow_text_chars,
            python=sys.executable,
            stalled_helper=str(BENCH_DIR / "stalled_clients.py"),
        )
