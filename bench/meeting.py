"""Metric 7, the meeting mix: what many real meetings make a server do, Glimpse against Socket.IO.

Rooms of 4 and of 8 in turn. During a measured window everyone chats every ~10 s (typing first),
toggles media every ~30 s, answers the server's pings, and leaves and rejoins now and then; every
join brings an offer and an answer with about ten ICE candidates each way per pair. The load
generator (`loadgen.js`, scenario `meeting`) is the same for both servers, with the same seed.

The method: levels of connections growing until chat or signaling p99 passes the limit or
anything is lost (a chat, a signal, a join, a connection). Every step runs on a fresh server
process; the servers take turns at each level, in alternating order, for several repetitions, so
each ratio comes from pairs of runs minutes apart and is given with its spread.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.ratios import paired, spread
from bench.servers import CLUSTER, Fixtures, RunningServer

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "realtime" / "fixtures"
"""Signaling a real Chromium sent (its offer, answer and trickled candidates)."""
ROOM_SIZES = (4, 8)


@dataclass(frozen=True)
class MeetingProfile:
    levels: tuple[int, ...] = (600, 1200, 2400, 3600, 4800, 6000, 7200, 8400, 9600)
    """Connections; rooms of 4 and 8 in turn (12 people per pair of rooms)."""
    repetitions: int = 3
    window_s: float = 20.0
    chat_interval_s: float = 10.0
    typing_lead_ms: int = 1000
    media_interval_s: float = 30.0
    churn_interval_s: float = 300.0
    """Mean time a person stays before leaving and rejoining (exponential)."""
    rejoin_delay_ms: int = 1000
    candidates_per_pair: int = 10
    connect_concurrency: int = 50
    settle_ms: int = 3000
    drain_ms: int = 3000
    join_timeout_ms: int = 20000
    p99_limit_ms: float = 100.0
    every_level: bool = False
    """Run every level, even past every server's capacity (to compare them at equal load)."""

    @property
    def connections(self) -> int:
        return max(self.levels)

    @property
    def rooms(self) -> int:
        return self.connections // min(ROOM_SIZES) + 1


QUICK_MEETING = MeetingProfile(
    levels=(24,),
    repetitions=1,
    window_s=2.0,
    chat_interval_s=1.0,
    typing_lead_ms=100,
    media_interval_s=1.0,
    churn_interval_s=3.0,
    rejoin_delay_ms=100,
    settle_ms=500,
    drain_ms=1000,
)

Generate = Callable[[RunningServer, str, list[dict[str, str]], dict[str, Any]], Any]
"""Runs one scenario of the load generator against a server (Scenarios._generate)."""
Start = Callable[[str], RunningServer]


def clients(fixtures: Fixtures, rooms: Sequence[str], connections: int) -> list[dict[str, str]]:
    """`connections` users in rooms of 4 and 8 in turn, filled one after the other."""
    entries: list[dict[str, str]] = []
    for index, room in enumerate(rooms):
        size = ROOM_SIZES[index % len(ROOM_SIZES)]
        for _ in range(min(size, connections - len(entries))):
            entries.append({"token": fixtures.tokens[len(entries)], "room": room})
        if len(entries) == connections:
            return entries
    raise ValueError(f"{connections} connections need more rooms than {len(rooms)}")


def passed(step: dict[str, Any], limit_ms: float) -> bool:
    """Chat and signaling p99 within the limit, and nothing lost or dropped."""
    return (
        all(step[kind]["lost"] == 0 for kind in ("chat", "signal", "join"))
        and step["sent"]["dropped"] == 0
        and step["chat"]["count"] > 0
        and (step["chat"]["p99_ms"] or 0) <= limit_ms
        and (step["signal"]["p99_ms"] or 0) <= limit_ms
    )


def run(
    servers: Sequence[str],
    profile: MeetingProfile,
    fixtures: Fixtures,
    rooms: Sequence[str],
    start: Start,
    generate: Generate,
    log: Callable[[str], None],
) -> dict[str, Any]:
    """Every level, every repetition, the servers in turn (each step on a fresh process), until
    no server passes a level in most repetitions."""
    signaling = {
        "offer_sdp": (FIXTURES / "chromium-offer.sdp").read_bytes().decode(),
        "answer_sdp": (FIXTURES / "chromium-answer.sdp").read_bytes().decode(),
        "candidates": _candidates(),
    }
    params = {
        key: getattr(profile, key)
        for key in (
            "window_s", "chat_interval_s", "typing_lead_ms", "media_interval_s",
            "churn_interval_s", "rejoin_delay_ms", "candidates_per_pair", "connect_concurrency",
            "settle_ms", "drain_ms", "join_timeout_ms",
        )
    }  # fmt: skip
    steps: dict[str, dict[str, list[dict[str, Any]]]] = {name: {} for name in servers}
    still_passing = list(servers)
    for level in profile.levels:
        entries = clients(fixtures, rooms, level)
        for repetition in range(profile.repetitions):
            order = still_passing if repetition % 2 == 0 else still_passing[::-1]
            for name in order:
                log(f"   meeting mix: {level} connections, {name}, run {repetition + 1}")
                server = start(name)
                try:
                    step = generate(
                        server, "meeting", entries, {**params, **signaling, "seed": repetition + 1}
                    )
                finally:
                    server.stop()
                step["passed"] = passed(step, profile.p99_limit_ms)
                steps[name].setdefault(str(level), []).append(step)
                log(f"     {_step_line(step)}")
        still_passing = [
            name
            for name in still_passing
            if 2 * sum(step["passed"] for step in steps[name][str(level)]) > profile.repetitions
        ]
        if profile.every_level:
            still_passing = list(servers)
        elif not still_passing:
            break
    return summarize(steps, profile)


def _step_line(step: dict[str, Any]) -> str:
    """One step's figures, for the progress log."""
    figures = [
        f"{kind} p50/p99 {step[kind]['p50_ms'] or 0:.1f}/{step[kind]['p99_ms'] or 0:.1f} ms"
        f" lost {step[kind]['lost']}"
        for kind in ("chat", "signal", "join")
    ]
    return "; ".join([*figures, f"CPU {step['server_cpu']:.2f}", f"passed {step['passed']}"])


def _candidates() -> list[dict[str, Any]]:
    import json

    found: list[dict[str, Any] | None] = json.loads(
        (FIXTURES / "chromium-candidates.json").read_text()
    )
    return [candidate for candidate in found if candidate is not None]


def _median(values: Sequence[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return statistics.median(present) if present else None


def capacity(steps: dict[str, list[dict[str, Any]]], repetition: int) -> int:
    """The highest level passed in this repetition with every level below it passed too."""
    best = 0
    for level in sorted(steps, key=int):
        runs = steps[level]
        if repetition >= len(runs) or not runs[repetition]["passed"]:
            break
        best = int(level)
    return best


def summarize(
    steps: dict[str, dict[str, list[dict[str, Any]]]], profile: MeetingProfile
) -> dict[str, Any]:
    """Per server and level the medians over repetitions; capacities; ratios with their range."""
    table: dict[str, dict[str, dict[str, float | None]]] = {}
    capacities: dict[str, list[int]] = {}
    for name, levels in steps.items():
        capacities[name] = [capacity(levels, rep) for rep in range(profile.repetitions)]
        table[name] = {}
        for level, runs in levels.items():
            row: dict[str, float | None] = {
                "passed": sum(run["passed"] for run in runs),
                "runs": len(runs),
                "server_cpu": _median([run["server_cpu"] for run in runs]),
                "generator_cpu": _median([run["generator_cpu"] for run in runs]),
                "rss_mib": _median([run["rss_bytes"] / 2**20 for run in runs]),
                "rss_settled_mib": _median([run["rss_settled_bytes"] / 2**20 for run in runs]),
            }
            for kind in ("chat", "signal", "join"):
                for figure in ("p50_ms", "p99_ms"):
                    row[f"{kind}_{figure}"] = _median([run[kind][figure] for run in runs])
            for measure in ("gc_pauses", "loop_lag"):
                longest = [
                    run[measure]["longest"]["at_most_s"]
                    for run in runs
                    if run.get(measure) and run[measure]["longest"]
                ]
                if any(run.get(measure) for run in runs):
                    row[f"{measure}_longest_at_most_s"] = (
                        max((value if value is not None else float("inf")) for value in longest)
                        if longest
                        else 0.0
                    )
                    row[f"{measure}_over_10ms"] = max(run[measure]["over_10ms"] for run in runs)
            table[name][level] = row
    ratios: dict[str, Any] = {}
    if "glimpse" in steps and "socketio" in steps:
        ratios["capacity"] = spread(paired(capacities["glimpse"], capacities["socketio"]))
        reference = int(statistics.median(capacities["socketio"]))
        mine, theirs = (
            [run["chat"]["p99_ms"] for run in steps[name].get(str(reference), [])]
            for name in ("glimpse", "socketio")
        )
        ratios["chat_p99_at_socketio_capacity"] = {
            "connections": reference,
            **spread(paired(mine, theirs)),
        }
    if "glimpse" in steps and CLUSTER in steps:
        pairs = paired(capacities[CLUSTER], capacities["glimpse"])
        ratios["cluster_capacity"] = {"of": "Glimpse x2/Glimpse", **spread(pairs)}
    return {"steps": steps, "levels": table, "capacities": capacities, "ratios": ratios}
