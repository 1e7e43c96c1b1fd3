"""The bench's output: a table on stdout, one JSON file per run, a PNG chart of the ratios."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench import paired
from bench.meeting import MeetingProfile
from bench.scenarios import Profile

HIGHER, LOWER = "higher", "lower"
NAMES = {
    "glimpse": "Glimpse",
    "socketio": "Socket.IO",
    "ws": "raw ws",
    "glimpse-cluster": "Glimpse x2 (nginx, Redis, PostgreSQL)",
}


def metric_rows(profile: Profile) -> list[tuple[str, str, str]]:
    """(summary key, label, which way is better) in table order."""
    rows = [
        (f"fanout_{size}", f"1. fan-out, room of {size} (msg/s, p99<=100ms)", HIGHER)
        for size in profile.fanout_rooms
    ]
    return [
        *rows,
        ("latency_p50_ms", "2. chat latency p50 (ms)", LOWER),
        ("latency_p99_ms", "2. chat latency p99 (ms)", LOWER),
        (
            "idle_kib_per_connection",
            f"3. memory per idle conn. at {profile.idle_connections} (KiB)",
            LOWER,
        ),
        ("idle_cpu_us_per_connection", "3. idle CPU per connection (us per s)", LOWER),
        ("joinstorm_s", f"4. join storm {profile.joinstorm_joins} joins: all rosters (s)", LOWER),
        ("joinstorm_cpu_s", "4. join storm: server CPU (s)", LOWER),
        *(
            row
            for peers in profile.browser_peers
            for row in (
                (
                    f"browser_{peers}_first_frame_ms",
                    f"6. {peers} peers: join to all frames (ms)",
                    LOWER,
                ),
                (f"browser_{peers}_signaling_ms", "6.   of which signaling (ms)", LOWER),
                (f"browser_{peers}_rest_ms", "6.   the rest: ICE, DTLS, decode (ms)", LOWER),
            )
        ),
        ("slow_p99_ratio", "5. slow readers: healthy p99 during/before", LOWER),
        ("slow_rss_growth_mib", "5. slow readers: server memory growth (MiB)", LOWER),
        ("slow_stalled_dropped", "5. slow readers: share of stalled dropped", HIGHER),
    ]


def _machine() -> dict[str, Any]:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)  # noqa: S607
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "node": node.stdout.strip(),
        "load_average_at_end": os.getloadavg(),
    }


def document(
    *,
    results: dict[str, Any],
    profile: Profile,
    command: str,
    started: float,
    settings: dict[str, str],
    baseline_chats_per_s: float | None,
    web_client: dict[str, Any],
    meeting: dict[str, Any],
    meeting_profile: MeetingProfile,
) -> dict[str, Any]:
    baseline = results.get("socketio", {}).get("runs", [])
    ratios = {
        name: paired.ratios(result["runs"], baseline, profile)
        for name, result in results.items()
        if name != "socketio"
    }
    return {
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "seconds": round(time.time() - started, 1),
        "command": command,
        "machine": _machine(),
        "profile": asdict(profile),
        "glimpse_settings": settings,
        "baseline_chats_per_s": baseline_chats_per_s,
        "results": results,
        "ratios_to_socketio": ratios,
        "web_client": web_client,
        "meeting_profile": asdict(meeting_profile),
        "meeting": meeting,
    }


def _figure(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def _ratio(spread: dict[str, Any] | None) -> str:
    """A paired ratio as its median and range."""
    if not spread or spread["median"] is None:
        return "-"
    return f"{spread['median']:.2f} ({spread['low']:.2f}-{spread['high']:.2f})"


def _milliseconds(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return "over 5000" if seconds == float("inf") else f"<={seconds * 1000:g}"


def meeting_table(doc: dict[str, Any]) -> list[str]:
    """Metric 7: one line per server and level (medians over repetitions), then the ratios."""
    result = doc.get("meeting")
    if not result:
        return []
    header = [
        "7. meeting mix", "conns", "passed", "chat p50/p99", "signal p50/p99", "join p50/p99",
        "CPU (generator)", "RSS MiB (settled)", "GC pause ms", "loop lag ms",
    ]  # fmt: skip
    rows = [header]
    for name, levels in result["levels"].items():
        for level, row in sorted(levels.items(), key=lambda item: int(item[0])):
            pair = "{}/{}".format
            rows.append(
                [
                    NAMES[name], level, f"{row['passed']:g}/{row['runs']:g}",
                    pair(_figure(row["chat_p50_ms"]), _figure(row["chat_p99_ms"])),
                    pair(_figure(row["signal_p50_ms"]), _figure(row["signal_p99_ms"])),
                    pair(_figure(row["join_p50_ms"]), _figure(row["join_p99_ms"])),
                    f"{_figure(row['server_cpu'])} ({_figure(row['generator_cpu'])})",
                    f"{_figure(row['rss_mib'])} ({_figure(row['rss_settled_mib'])})",
                    _milliseconds(row.get("gc_pauses_longest_at_most_s")),
                    _milliseconds(row.get("loop_lag_longest_at_most_s")),
                ]
            )  # fmt: skip
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    lines.append(
        "   capacity (connections, each repetition): "
        + "; ".join(f"{NAMES[name]} {caps}" for name, caps in result["capacities"].items())
    )
    for key, spread in result["ratios"].items():
        if spread["median"] is None:
            continue
        where = f" ({spread['connections']} connections)" if "connections" in spread else ""
        lines.append(
            f"   {spread.get('of', 'Glimpse/Socket.IO')} {key.replace('_', ' ')}{where}:"
            f" {spread['median']:.2f}"
            f" (range {spread['low']:.2f}-{spread['high']:.2f} over {spread['pairs']} pairs)"
        )
    lines.append(
        "   latencies in ms, medians over repetitions; CPU in cores; GC pause and loop lag: the"
        " longest in the window, as the histogram bucket it fell in (Glimpse's /metrics)"
    )
    lines.append("")
    return lines


def table(doc: dict[str, Any]) -> str:
    profile = Profile(**{**doc["profile"], "fanout_rooms": tuple(doc["profile"]["fanout_rooms"])})
    names = [name for name in ("glimpse", "socketio", "ws") if name in doc["results"]]
    if not names:  # the meeting mix alone
        return "\n".join(meeting_table(doc))
    header = [
        "metric", *(NAMES[name] for name in names), "Glimpse/Socket.IO (range)", "better"
    ]  # fmt: skip
    rows = [header]
    for key, label, better in metric_rows(profile):
        values = [doc["results"][name]["summary"].get(key) for name in names]
        ratio = doc["ratios_to_socketio"].get("glimpse", {}).get(key)
        rows.append([label, *(_figure(value) for value in values), _ratio(ratio), better])
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    lines = [*meeting_table(doc), *lines]
    for peers, result in doc.get("web_client", {}).items():
        total, signaling, rest = (
            _figure(result["summary"][part])
            for part in ("first_frame_ms", "signaling_ms", "rest_ms")
        )
        lines.append(
            f"6. the Glimpse web client itself, {peers} peers: join to all frames {total} ms"
            f" (signaling {signaling}, the rest {rest})"
        )
    lines.append("")
    lines.append("load generator vs server CPU (cores) at the best fan-out step:")
    for name in names:
        summary = doc["results"][name]["summary"]
        for size in profile.fanout_rooms:
            server = summary.get(f"fanout_{size}_server_cpu")
            generator = summary.get(f"fanout_{size}_generator_cpu")
            lines.append(
                f"  {NAMES[name]:<10} room {size:>3}:"
                f" server {_figure(server)}, generator {_figure(generator)}"
            )
    lines.append(
        "Glimpse ran with "
        + ", ".join(f"{key}={value}" for key, value in doc["glimpse_settings"].items())
        + " (the baselines have no such limits); every other setting is the default."
    )
    lines.append(
        f"median of {profile.runs} run(s), each on a fresh server process after a warm-up, the"
        " servers in turn (alternating order); ratios: median of the run pairs (range);"
        f" {doc['machine']['cpu']}, "
        f"{doc['machine']['cores']} cores; server on core 0, generator on core 1"
    )
    return "\n".join(lines)


def chart(doc: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    profile = Profile(**{**doc["profile"], "fanout_rooms": tuple(doc["profile"]["fanout_rooms"])})
    rows = [row for row in metric_rows(profile) if row[0] != "slow_stalled_dropped"]
    labels = [f"{label} [{better} is better]" for _, label, better in rows]
    figure, axes = plt.subplots(figsize=(10, 0.5 * len(rows) + 1.5))
    height = 0.38
    for offset, name in enumerate(
        name for name in ("glimpse", "ws") if name in doc["ratios_to_socketio"]
    ):
        spreads = [doc["ratios_to_socketio"][name].get(key) or {} for key, _, _ in rows]
        ratios = [spread.get("median") or 0.0 for spread in spreads]
        pairs = list(zip(ratios, spreads, strict=True))
        errors = [
            [ratio - (spread.get("low") or ratio) for ratio, spread in pairs],
            [(spread.get("high") or ratio) - ratio for ratio, spread in pairs],
        ]
        positions = [index + offset * height for index in range(len(rows))]
        axes.barh(positions, ratios, height=height, xerr=errors, label=f"{NAMES[name]} / Socket.IO")
        for position, ratio in zip(positions, ratios, strict=True):
            axes.text(ratio, position, f" {ratio:.2f}", va="center", fontsize=8)
    axes.axvline(1.0, color="black", linewidth=1)
    axes.set_yticks([index + height / 2 for index in range(len(rows))], labels, fontsize=8)
    axes.invert_yaxis()
    axes.set_xscale("log")
    axes.set_xlabel("ratio to the Socket.IO baseline (log scale; 1 = same)")
    axes.set_title(f"Glimpse bench {doc['started']}: {doc['machine']['cpu']}", fontsize=9)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def save(doc: dict[str, Any], out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = doc["started"].replace(":", "").replace("-", "")
    json_path = out_dir / f"{stem}.json"
    json_path.write_text(json.dumps(doc, indent=1) + "\n")
    if not doc["results"]:  # the meeting mix alone: its figures are in the table
        return [json_path]
    png_path = out_dir / f"{stem}.png"
    chart(doc, png_path)
    return [json_path, png_path]
