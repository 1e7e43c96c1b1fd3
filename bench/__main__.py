"""`make bench`: Glimpse, the Socket.IO baseline and the raw `ws` server; same machine, same run.

.venv/bin/python -m bench [--quick] [--servers socketio,glimpse,ws] [--metrics ...] [--runs N]

Every measurement runs on a fresh server process, the servers taking turns in alternating order
(bench/meeting.py for metric 7, bench/paired.py for the others), and each ratio to Socket.IO is
the median of the run pairs with its range (bench/ratios.py).

The meeting mix (metric 7) also takes the server `glimpse-cluster`: two Glimpse instances behind
nginx, on PostgreSQL and Redis (bench/servers.py), e.g. `--metrics meeting --servers
glimpse,glimpse-cluster`.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
import time
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from bench import browser, meeting, paired, report
from bench.meeting import QUICK_MEETING, MeetingProfile
from bench.scenarios import QUICK, Profile, Scenarios
from bench.servers import CLUSTER, GLIMPSE_BENCH_SETTINGS, make_fixtures, start_server

METRICS = ("meeting", "fanout", "latency", "idle", "joinstorm", "slow", "browser")


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
        start = partial(
            start_server, work_dir=work_dir, fixtures=fixtures, core=0, glimpse_command=variant
        )
        if "meeting" in metrics:  # the servers take turns: its own loop (bench/meeting.py)
            print("-- metric 7, the meeting mix", file=sys.stderr, flush=True)
            meeting_result = meeting.run(
                [name for name in ("glimpse", CLUSTER, "socketio") if name in servers],
                meeting_profile,
                fixtures,
                fixtures.room_ids[profile.rooms :],
                start,
                lambda server, scenario, clients, params: Scenarios(
                    server, fixtures, profile, work_dir
                ).generate(scenario, clients, **params),
                lambda line: print(line, file=sys.stderr, flush=True),
            )
        if set(metrics) - {"meeting"}:
            print("-- metrics 1-6", file=sys.stderr, flush=True)
            contenders = [
                paired.Contender(
                    name,
                    partial(start, name),
                    partial(Scenarios, fixtures=fixtures, profile=profile, work_dir=work_dir),
                )
                for name in servers
                if name != CLUSTER  # the meeting mix's only
            ]
            runs, baseline_rate = paired.run(
                contenders,
                metrics,
                profile,
                baseline_rate,
                lambda line: print(line, file=sys.stderr, flush=True),
            )
            results = {
                name: {"runs": found, "summary": paired.summarize(found, profile)}
                for name, found in runs.items()
            }

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
