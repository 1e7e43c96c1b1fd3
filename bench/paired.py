"""Metrics 1-6 by the meeting mix's method: every measurement on a fresh server process, the
servers taking turns in alternating order run after run, so each ratio comes from pairs of runs
minutes apart and is given with its range (`bench/ratios.py`).

Metric by metric: the fan-out capacities of every run come first, since the latency metric runs
at half the baseline's.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bench.ratios import paired, spread
from bench.scenarios import Profile, Scenarios
from bench.servers import RunningServer

Figures = dict[str, float | None]
Measure = Callable[[Scenarios], dict[str, Any]]


@dataclass
class Contender:
    """A server under test and its scenarios, which hand out fresh rooms across its processes."""

    name: str
    start: Callable[[], RunningServer]
    make_scenarios: Callable[[RunningServer], Scenarios]
    scenarios: Scenarios | None = None

    def measure(self, measure: Measure) -> dict[str, Any]:
        """`measure` on a fresh process of this server."""
        server = self.start()
        try:
            if self.scenarios is None:
                self.scenarios = self.make_scenarios(server)
            self.scenarios.server = server
            return measure(self.scenarios)
        finally:
            server.stop()


def _read(result: Any, *path: str) -> float | None:
    """The number at `path` in a scenario's result, None where it was not measured."""
    for key in path:
        if not isinstance(result, dict) or result.get(key) is None:
            return None
        result = result[key]
    return float(result)


def _combine(
    left: float | None, right: float | None, how: Callable[[float, float], float]
) -> float | None:
    return None if left is None or right is None else how(left, right)


def figures(run: dict[str, Any], profile: Profile) -> Figures:
    """Every figure the table shows, from one run's results (None: not measured)."""
    found: Figures = {}
    for size in profile.fanout_rooms:
        key = f"fanout_{size}"
        found[key] = _read(run, key, "capacity_delivered_per_s")
        for cpu in ("server_cpu", "generator_cpu"):
            found[f"{key}_{cpu}"] = _read(run, key, "best_step", cpu)
    found["latency_p50_ms"] = _read(run, "latency", "p50_ms")
    found["latency_p99_ms"] = _read(run, "latency", "p99_ms")
    found["idle_kib_per_connection"] = _combine(
        _read(run, "idle", "bytes_per_connection"), 1024, float.__truediv__
    )
    found["idle_cpu_us_per_connection"] = _combine(
        _read(run, "idle", "idle_server_cpu"),
        _read(run, "idle", "connections"),
        lambda cpu, connections: cpu * 1e6 / connections,
    )
    found["joinstorm_s"] = _read(run, "joinstorm", "all_rosters_full_s")
    found["joinstorm_cpu_s"] = _read(run, "joinstorm", "server_cpu_seconds")
    found["slow_p99_ratio"] = _read(run, "slow", "p99_ratio")
    found["slow_rss_growth_mib"] = _combine(
        _read(run, "slow", "rss_max"),
        _read(run, "slow", "rss_start"),
        lambda most, start: (most - start) / 2**20,
    )
    found["slow_stalled_dropped"] = _combine(
        _read(run, "slow", "stalled_dropped"), _read(run, "slow", "stalled"), float.__truediv__
    )
    for peers in profile.browser_peers:
        key = f"browser_{peers}"
        found[f"{key}_signaling_ms"] = _read(run, key, "signaling_ms")
        found[f"{key}_first_frame_ms"] = _read(run, key, "first_frame_ms")
        found[f"{key}_rest_ms"] = _combine(
            found[f"{key}_first_frame_ms"], found[f"{key}_signaling_ms"], float.__sub__
        )
    return found


def summarize(runs: Sequence[dict[str, Any]], profile: Profile) -> Figures:
    """Every figure's median over the runs that measured it."""
    per_run = [figures(run, profile) for run in runs]
    summary: Figures = {}
    for key in per_run[0] if per_run else ():
        present = [value for found in per_run if (value := found[key]) is not None]
        summary[key] = statistics.median(present) if present else None
    return summary


def ratios(
    mine: Sequence[dict[str, Any]], theirs: Sequence[dict[str, Any]], profile: Profile
) -> dict[str, dict[str, float | int | None]]:
    """Every figure's ratio mine / theirs, run by run, as a median with its range."""
    my_figures = [figures(run, profile) for run in mine]
    their_figures = [figures(run, profile) for run in theirs]
    keys = my_figures[0].keys() if my_figures else ()
    return {
        key: spread(
            paired([found[key] for found in my_figures], [found[key] for found in their_figures])
        )
        for key in keys
    }


def run(
    contenders: Sequence[Contender],
    metrics: Sequence[str],
    profile: Profile,
    baseline_chats_per_s: float | None,
    log: Callable[[str], None],
) -> tuple[dict[str, list[dict[str, Any]]], float | None]:
    """Each metric for `profile.runs` runs of every server in turn; the runs' results per server,
    and the baseline's chat rate at saturation (room of the smallest fan-out) the latency used."""
    runs: dict[str, list[dict[str, Any]]] = {
        contender.name: [{} for _ in range(profile.runs)] for contender in contenders
    }

    def each(metric: str, measure: Measure, skip: Sequence[str] = ()) -> None:
        for index in range(profile.runs):
            order = contenders if index % 2 == 0 else contenders[::-1]
            for contender in order:
                if contender.name in skip:
                    continue
                log(f"   {metric}: {contender.name}, run {index + 1}/{profile.runs}")
                runs[contender.name][index].update(contender.measure(measure))

    if "fanout" in metrics:

        def fanout(scenarios: Scenarios) -> dict[str, Any]:
            found = {}
            for size in profile.fanout_rooms:
                scenarios.warmup()
                found[f"fanout_{size}"] = scenarios.fanout(size)
            return found

        each("fanout", fanout)
    if baseline_chats_per_s is None and contenders:
        smallest = min(profile.fanout_rooms)
        baseline = next((c for c in contenders if c.name == "socketio"), contenders[0])
        capacity = summarize(runs[baseline.name], profile).get(f"fanout_{smallest}")
        baseline_chats_per_s = (capacity or 0.0) / (smallest - 1)
    if "latency" in metrics:
        rate = max(1.0, profile.latency_fraction * (baseline_chats_per_s or 0.0))

        def latency(scenarios: Scenarios) -> dict[str, Any]:
            scenarios.warmup()
            return {"latency": scenarios.latency(rate)}

        each("latency", latency)
    if "idle" in metrics:  # a fresh process each time: freed memory is not returned
        each("idle", lambda scenarios: {"idle": scenarios.idle()})
    if "joinstorm" in metrics:  # raw ws has no roster to join
        each("joinstorm", lambda scenarios: {"joinstorm": scenarios.joinstorm()}, skip=("ws",))
    if "slow" in metrics:
        each("slow", lambda scenarios: {"slow": scenarios.slow(profile.slow_chats_per_s)})
    if "browser" in metrics:  # raw ws relays no signaling

        def browser_joins(scenarios: Scenarios) -> dict[str, Any]:
            return {
                f"browser_{peers}": scenarios.browser_join(peers) for peers in profile.browser_peers
            }

        each("browser", browser_joins, skip=("ws",))
    return runs, baseline_chats_per_s
