"""`make bench`: Glimpse, the Socket.IO baseline and the raw `ws` server; same machine, same run.

.venv/bin/python -m bench [--quick] [--servers socketio,glimpse,ws] [--metrics ...] [--runs N]

The meeting mix (metric 7) also takes the server `glimpse-cluster`: two Glimpse instances behind
nginx, on PostgreSQL and Redis (bench/servers.py), e.g. `--metrics meeting --servers
glimpse,glimpse-cluster`.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from bench import browser, meeting, report
from bench.meeting import QUICK_MEETING, MeetingProfile
from bench.scenarios import QUICK, Profile, Scenarios
from bench.servers import CLUSTER, GLIMPSE_BENCH_SETTINGS, make_fixtures, start_server

METRICS = ("meeting", "fanout", "latency", "idle", "joinstorm", "slow", "browser")


def _median(values: list[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return statistics.median(present) if present else None


def _fanout_figure(key: str, figure: str, run: dict[str, Any]) -> float:
    """A figure of a fan-out run: its capacity, or one taken at its best step."""
    result = run[key]
    value: float = result[figure] if figure in result else result["best_step"][figure]
    return value


def _browser_figure(key: str, part: str, run: dict[str, Any]) -> float:
    result = run[key]
    value: float = (
        result["first_frame_ms"] - result["signaling_ms"] if part == "rest_ms" else result[part]
    )
    return value


def summarize(runs: list[dict[str, Any]], profile: Profile) -> dict[str, float | None]:
    """Median over runs of every figure the table shows."""

    def median_of(pick: Callable[[dict[str, Any]], float | None]) -> float | None:
        values = []
        for run in runs:
            try:
                values.append(pick(run))
            except (KeyError, TypeError):
                continue
        return _median(values)

    summary: dict[str, float | None] = {}
    for size in profile.fanout_rooms:
        key = f"fanout_{size}"
        summary[key] = median_of(partial(_fanout_figure, key, "capacity_delivered_per_s"))
        for cpu in ("server_cpu", "generator_cpu"):
            summary[f"{key}_{cpu}"] = median_of(partial(_fanout_figure, key, cpu))
    summary["latency_p50_ms"] = median_of(lambda run: run["latency"]["p50_ms"])
    summary["latency_p99_ms"] = median_of(lambda run: run["latency"]["p99_ms"])
    summary["idle_kib_per_connection"] = median_of(
        lambda run: run["idle"]["bytes_per_connection"] / 1024
    )
    summary["idle_cpu_us_per_connection"] = median_of(
        lambda run: run["idle"]["idle_server_cpu"] * 1e6 / run["idle"]["connections"]
    )
    summary["joinstorm_s"] = median_of(lambda run: run["joinstorm"]["all_rosters_full_s"])
    summary["joinstorm_cpu_s"] = median_of(lambda run: run["joinstorm"]["server_cpu_seconds"])
    summary["slow_p99_ratio"] = median_of(lambda run: run["slow"]["p99_ratio"])
    summary["slow_rss_growth_mib"] = median_of(
        lambda run: (run["slow"]["rss_max"] - run["slow"]["rss_start"]) / 2**20
    )
    for peers in profile.browser_peers:
        for part in ("signaling_ms", "first_frame_ms", "rest_ms"):
            summary[f"browser_{peers}_{part}"] = median_of(
                partial(_browser_figure, f"browser_{peers}", part)
            )
    summary["slow_stalled_dropped"] = median_of(
        lambda run: run["slow"]["stalled_dropped"] / run["slow"]["stalled"]
    )
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a few seconds: the smoke test")
    parser.add_argument("--servers", default="socketio,glimpse,ws")
    parser.add_argument("--metrics", default=",".join(METRICS))
    parser.add_argument("--runs", type=int, help="measured runs per metric (median is reported)")
    parser.add_argument("--idle-connections", type=int, help="connections for metric 3")
    parser.add_argument("--meeting-levels", help="connections at each level of metric 7: 600,1200")
    parser.add_argument(
        "--meeting-every-level",
        action="store_true",
        help="metric 7 at every level, past capacity too: both servers at equal load",
    )
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    parser.add_argument(
        "--baseline-chats-per-s",
        type=float,
        help="Socket.IO's saturation chat rate (room of 50) when it is not run now",
    )
    parser.add_argument(
        "--glimpse-command",
        help="run Glimpse with this command instead of `glimpse serve --port {port}`",
    )
    args = parser.parse_args(argv)

    profile = QUICK if args.quick else Profile()
    meeting_profile = QUICK_MEETING if args.quick else MeetingProfile()
    if args.meeting_levels:
        levels = tuple(int(level) for level in args.meeting_levels.split(","))
        meeting_profile = replace(meeting_profile, levels=levels)
    if args.runs:
        meeting_profile = replace(meeting_profile, repetitions=args.runs)
    if args.meeting_every_level:
        meeting_profile = replace(meeting_profile, every_level=True)
    if args.runs:
        profile = replace(profile, runs=args.runs)
    if args.idle_connections:
        profile = replace(profile, idle_connections=args.idle_connections)
    servers = [name for name in args.servers.split(",") if name]
    metrics = [name for name in args.metrics.split(",") if name]
    started = time.time()
    results: dict[str, Any] = {}
    baseline_rate = args.baseline_chats_per_s
    meeting_result: dict[str, Any] = {}

    with tempfile.TemporaryDirectory(prefix="glimpse-bench-") as tmp:
        work_dir = Path(tmp)
        fixtures = make_fixtures(
            work_dir / "glimpse-data",
            max(profile.users, meeting_profile.connections),
            profile.rooms + meeting_profile.rooms,
        )
        variant = shlex.split(args.glimpse_command) if args.glimpse_command else None
        if "meeting" in metrics:  # the servers take turns: its own loop (bench/meeting.py)
            print("-- metric 7, the meeting mix", file=sys.stderr, flush=True)
            meeting_result = meeting.run(
                [name for name in ("glimpse", CLUSTER, "socketio") if name in servers],
                meeting_profile,
                fixtures,
                fixtures.room_ids[profile.rooms :],
                partial(
                    start_server,
                    work_dir=work_dir,
                    fixtures=fixtures,
                    core=0,
                    glimpse_command=variant,
                ),
                lambda server, scenario, clients, params: Scenarios(
                    server, fixtures, profile, work_dir
                ).generate(scenario, clients, **params),
                lambda line: print(line, file=sys.stderr, flush=True),
            )
        for name in sorted(servers, key=lambda name: name != "socketio"):  # the baseline first
            if not set(metrics) - {"meeting"}:
                break
            if name == CLUSTER:  # the meeting mix's only
                continue
            print(f"-- {name}", file=sys.stderr, flush=True)
            start = partial(
                start_server, work_dir=work_dir, fixtures=fixtures, core=0, glimpse_command=variant
            )
            server = start(name)
            try:
                scenarios = Scenarios(server, fixtures, profile, work_dir)
                scenarios.warmup()
                runs: list[dict[str, Any]] = [{} for _ in range(profile.runs)]
                for index, run in enumerate(runs):
                    print(f"   run {index + 1}/{profile.runs}", file=sys.stderr, flush=True)
                    if "fanout" in metrics:
                        for size in profile.fanout_rooms:
                            run[f"fanout_{size}"] = scenarios.fanout(size)
                    if "idle" in metrics:  # on a fresh process: freed memory is not returned
                        server.stop()
                        server = scenarios.server = start(name)
                        run["idle"] = scenarios.idle()
                    if "joinstorm" in metrics and name != "ws":  # it has no roster to join
                        run["joinstorm"] = scenarios.joinstorm()
                    if "browser" in metrics and name != "ws":  # it relays no signaling
                        for peers in profile.browser_peers:
                            run[f"browser_{peers}"] = scenarios.browser_join(peers)
                summary = summarize(runs, profile)
                if baseline_rate is None:  # this is the baseline, or no baseline is known
                    capacity = summary.get(f"fanout_{min(profile.fanout_rooms)}") or 0.0
                    baseline_rate = capacity / (min(profile.fanout_rooms) - 1)
                for run in runs:
                    if "latency" in metrics:
                        run["latency"] = scenarios.latency(
                            max(1.0, profile.latency_fraction * baseline_rate)
                        )
                    if "slow" in metrics:
                        run["slow"] = scenarios.slow(profile.slow_chats_per_s)
            finally:
                server.stop()
            results[name] = {"runs": runs, "summary": summarize(runs, profile)}

    web_client: dict[str, Any] = {}
    if "browser" in metrics and browser.web_client_available():
        print("-- the Glimpse web client (metric 6)", file=sys.stderr, flush=True)
        for peers in profile.browser_peers:
            joins = browser.web_client_join(peers, profile.runs)
            web_client[str(peers)] = {"runs": joins, "summary": browser.summarize(joins)}

    document = report.document(
        results=results,
        profile=profile,
        command=" ".join(shlex.quote(part) for part in sys.argv),
        started=started,
        settings=GLIMPSE_BENCH_SETTINGS,
        baseline_chats_per_s=baseline_rate,
        web_client=web_client,
        meeting=meeting_result,
        meeting_profile=meeting_profile,
    )
    print(report.table(document))
    paths = report.save(document, args.out)
    print("\n".join(f"wrote {path}" for path in paths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
