"""Metric 8 (the end of `make bench`): media through the SFU against the mesh, in real Chromium.

As a room grows from 2 to 6 participants, each in its own browser context of one Chromium: what
each participant uploads (bytes sent on its peer connections, from getStats) and the browser's
CPU per participant (Chromium's processes, from psutil), the room forced to one media path by
its `media_mode` setting; and, for each newcomer, join to first frame (the click on "Join room"
to the first decoded remote video frame). The modes take turns (mesh first in even repetitions,
SFU first in odd ones), each on a fresh server, Janus and browser. Every camera is held to
320x240 at 15 frames a second by default (six browsers fit two cores; through the SFU that size
gives one simulcast layer); `--camera product` leaves it as the app asks for it (the browser's
default in the mesh, 1280x720 in three layers through the SFU).

.venv/bin/python -m bench.sfu [--runs 2] [--sizes 2,3,4,5,6] [--window 5] [--camera small]
— prints the table and writes bench/results/<time>-sfu.json and -sfu.png (the chart).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]

from bench.browser import chromium
from tests.e2e.conftest import GlimpseServer
from tests.e2e.meeting import change_room
from tests.e2e.people import Person, eventually
from tests.e2e.test_sfu import SMALL_CAMERA, sees_everyone
from tests.janus import glimpse_environment, running_janus

MODES = ("mesh", "sfu")
RESULTS = Path(__file__).resolve().parent / "results"


def _chromium_cpu_seconds() -> float:
    """CPU time so far of every Chromium process this one started (through Playwright)."""
    total = 0.0
    for process in psutil.Process().children(recursive=True):
        try:
            if "chrom" in process.name():
                times = process.cpu_times()
                total += times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return total


def _measure(people: list[Person], window: float) -> dict[str, float]:
    """Over `window` seconds: the mean upload per participant and Chromium's CPU per participant."""
    sent = [float(person.page.evaluate("() => window.__bytesSent()")) for person in people]
    cpu, started = _chromium_cpu_seconds(), time.monotonic()
    time.sleep(window)
    elapsed = time.monotonic() - started
    cpu_used = (_chromium_cpu_seconds() - cpu) / elapsed
    uploads = [
        (float(person.page.evaluate("() => window.__bytesSent()")) - before) * 8 / 1000 / elapsed
        for person, before in zip(people, sent, strict=True)
    ]
    return {
        "upload_kbit_s": statistics.mean(uploads),
        "upload_max_kbit_s": max(uploads),
        "cpu_per_participant": cpu_used / len(people),
    }


def one_room(
    mode: str, sizes: list[int], window: float, small_camera: bool, folder: Path
) -> list[dict[str, Any]]:
    """A room forced to `mode`, grown to the largest size; the figures at each size."""
    figures = []
    with running_janus(folder / "janus") as janus, chromium() as browser:
        server = GlimpseServer(
            folder / "data",
            folder / "server.log",
            **glimpse_environment(janus),
        )
        server.start()
        try:
            people: list[Person] = []
            invite = ""
            for size in range(1, max(sizes) + 1):
                person = Person(browser, server.base_url, f"P{size}")
                if small_camera:
                    person.context.add_init_script(path=str(SMALL_CAMERA))
                if size == 1:
                    person.sign_up()
                    invite = person.create_room(f"Bench {mode}")
                    change_room(server.base_url, person, invite, media_mode=mode)
                    person.page.goto(invite)
                else:
                    person.sign_up(invite)
                person.join()
                people.append(person)
                if size < 2:
                    continue
                first_frame = person.join_to_first_frame_ms()
                sees_everyone(people)
                eventually(
                    lambda: all(
                        p.page.locator("[data-media-path]").get_attribute("data-media-path") == mode
                        for p in people
                    ),
                    f"every page in {mode} mode",
                )
                if size in sizes:
                    figures.append(
                        {"size": size, "join_to_first_frame_ms": first_frame}
                        | _measure(people, window)
                    )
                    print(f"   {mode} {figures[-1]}", file=sys.stderr, flush=True)
        finally:
            server.kill()
    return figures


def run(runs: int, sizes: list[int], window: float, camera: str) -> dict[str, Any]:
    results: dict[str, list[list[dict[str, Any]]]] = {mode: [] for mode in MODES}
    with tempfile.TemporaryDirectory(prefix="glimpse-bench-sfu-") as tmp:
        for repetition in range(runs):
            order = MODES if repetition % 2 == 0 else MODES[::-1]
            for mode in order:
                print(f"-- metric 8: {mode}, run {repetition + 1}/{runs}", file=sys.stderr)
                folder = Path(tmp) / f"{mode}-{repetition}"
                results[mode].append(one_room(mode, sizes, window, camera == "small", folder))
    return {"sizes": sizes, "window_s": window, "camera": camera, "runs": results}


def _by_size(runs: list[list[dict[str, Any]]], key: str) -> dict[int, list[float]]:
    values: dict[int, list[float]] = {}
    for figures in runs:
        for figure in figures:
            values.setdefault(figure["size"], []).append(figure[key])
    return values


def table(document: dict[str, Any]) -> str:
    rows = [
        "| size | mode | upload per participant | CPU per participant | join to first frame |",
        "|---|---|---|---|---|",
    ]
    for size in document["sizes"]:
        for mode in MODES:
            runs = document["runs"][mode]
            upload = _by_size(runs, "upload_kbit_s").get(size, [])
            cpu = _by_size(runs, "cpu_per_participant").get(size, [])
            frame = _by_size(runs, "join_to_first_frame_ms").get(size, [])
            rows.append(
                f"| {size} | {mode} | {_spread(upload, '{:.0f}')} kbit/s "
                f"| {_spread([c * 100 for c in cpu], '{:.0f}')} % of a core "
                f"| {_spread(frame, '{:.0f}')} ms |"
            )
    return "\n".join(rows)


def _spread(values: list[float], form: str) -> str:
    """The median, and the range over the runs when there are several."""
    if not values:
        return "—"
    median = form.format(statistics.median(values))
    if len(values) == 1:
        return median
    return f"{median} ({form.format(min(values))}-{form.format(max(values))})"


def chart(document: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, (upload_axes, cpu_axes) = pyplot.subplots(1, 2, figsize=(10, 4))
    for mode, style in zip(MODES, ("o-", "s--"), strict=True):
        runs = document["runs"][mode]
        for axes, key, scale in (
            (upload_axes, "upload_kbit_s", 1.0),
            (cpu_axes, "cpu_per_participant", 100.0),
        ):
            values = _by_size(runs, key)
            sizes = sorted(values)
            medians = [statistics.median(values[size]) * scale for size in sizes]
            low = [m - min(values[s]) * scale for m, s in zip(medians, sizes, strict=True)]
            high = [max(values[s]) * scale - m for m, s in zip(medians, sizes, strict=True)]
            axes.errorbar(sizes, medians, yerr=[low, high], fmt=style, capsize=3, label=mode)
    upload_axes.set(
        title="Upload per participant", xlabel="participants", ylabel="kbit/s", ylim=(0, None)
    )
    cpu_axes.set(
        title="Browser CPU per participant",
        xlabel="participants",
        ylabel="% of a core",
        ylim=(0, None),
    )
    for axes in (upload_axes, cpu_axes):
        axes.set_xticks(document["sizes"])
        axes.legend()
        axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sfu", description=__doc__)
    parser.add_argument("--runs", type=int, default=2, help="repetitions of each mode")
    parser.add_argument("--sizes", default="2,3,4,5,6", help="room sizes measured")
    parser.add_argument("--window", type=float, default=5.0, help="seconds each figure covers")
    parser.add_argument(
        "--camera",
        choices=("small", "product"),
        default="small",
        help="every camera held to 320x240 at 15 fps, or as the app asks for it",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    sizes = sorted(int(size) for size in args.sizes.split(","))
    started = datetime.now(UTC)
    document = {"started": started.isoformat()} | run(args.runs, sizes, args.window, args.camera)
    print(table(document))
    args.out.mkdir(parents=True, exist_ok=True)
    stem = started.strftime("%Y%m%dT%H%M%SZ") + ("" if args.camera == "small" else "-product")
    (args.out / f"{stem}-sfu.json").write_text(json.dumps(document, indent=1) + "\n")
    chart(document, args.out / f"{stem}-sfu.png")
    print(f"wrote {args.out / f'{stem}-sfu.json'} and -sfu.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
