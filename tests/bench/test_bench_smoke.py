"""`make bench` in miniature: every server, every metric, a few seconds; the output must be sane.

Timings are not asserted (they live in `make bench`); what is asserted is that each server was
driven, each metric produced a figure, and the table, JSON and chart were written.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_quick_bench_measures_every_server_and_metric(tmp_path: Path) -> None:
    done = subprocess.run(  # noqa: S603 (this interpreter, fixed arguments)
        [sys.executable, "-m", "bench", "--quick", "--out", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Glimpse/Socket.IO" in done.stdout
    assert "GLIMPSE_MAX_ROOM_PARTICIPANTS" in done.stdout  # raised limits are stated

    [json_file] = tmp_path.glob("*.json")
    [png_file] = tmp_path.glob("*.png")
    assert png_file.read_bytes().startswith(b"\x89PNG")
    doc = json.loads(json_file.read_text())
    assert set(doc["results"]) == {"glimpse", "socketio", "ws"}

    for name, result in doc["results"].items():
        [run] = result["runs"]
        fanout = run["fanout_10"]
        assert fanout["clients_dropped"] == 0, name
        assert fanout["capacity_delivered_per_s"] > 0, name
        for step in fanout["steps"]:
            assert step["chats_sent"] > 0
            assert step["server_cpu"] >= 0 and step["generator_cpu"] > 0
        assert run["latency"]["incomplete"] == 0, name
        assert run["latency"]["p50_ms"] <= run["latency"]["p99_ms"], name
        assert run["idle"]["open"] == run["idle"]["connections"] == 60, name
        assert run["idle"]["rss_after"] > 0, name
        assert run["idle"]["idle_server_cpu"] >= 0, name
        assert run["slow"]["stalled"] == 1, name
        assert run["slow"]["healthy_dropped"] == 0, name
        assert run["slow"]["healthy_during"]["incomplete"] == 0, name
        if name != "ws":  # the raw reference has no roster to join
            assert run["joinstorm"]["clients_with_full_roster"] == 20, name

    for key in ("fanout_10", "latency_p99_ms", "idle_kib_per_connection", "joinstorm_s"):
        ratio = doc["ratios_to_socketio"]["glimpse"][key]
        assert ratio["pairs"] == 1 and ratio["low"] <= ratio["median"] <= ratio["high"], key

    assert "7. meeting mix" in done.stdout
    meeting = doc["meeting"]
    for name in ("glimpse", "socketio"):
        [step] = meeting["steps"][name]["24"]
        assert step["connections_at_end"] > 0, name
        assert step["sent"]["dropped"] == 0, name
        for kind in ("chat", "signal", "join"):
            assert step[kind]["count"] > 0, (name, kind)
            assert step[kind]["lost"] == 0, (name, kind)
        assert step["sent"]["churn"] > 0 and step["sent"]["media"] > 0, name
        assert step["rss_bytes"] > 0 and step["server_cpu"] >= 0, name
    gc_pauses = meeting["steps"]["glimpse"]["24"][0]["gc_pauses"]
    assert gc_pauses["count"] > 0  # read from Glimpse's /metrics
    assert meeting["ratios"]["capacity"]["pairs"] in (0, 1)


def test_quick_meeting_mix_on_two_instances(tmp_path: Path, postgresql_url: str) -> None:
    """The meeting mix against two instances behind nginx on PostgreSQL and Redis, beside one."""
    done = subprocess.run(  # noqa: S603 (this interpreter, fixed arguments)
        [
            *(sys.executable, "-m", "bench", "--quick", "--metrics", "meeting"),
            *("--servers", "glimpse,glimpse-cluster", "--out", str(tmp_path)),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Glimpse x2 (nginx, Redis, PostgreSQL)" in done.stdout
    [json_file] = tmp_path.glob("*.json")
    meeting = json.loads(json_file.read_text())["meeting"]
    for name in ("glimpse", "glimpse-cluster"):
        [step] = meeting["steps"][name]["24"]
        assert step["sent"]["dropped"] == 0, name
        for kind in ("chat", "signal", "join"):
            assert step[kind]["count"] > 0, (name, kind)
            assert step[kind]["lost"] == 0, (name, kind)
        assert step["generator_cpu"] > 0, name
    [cluster] = meeting["steps"]["glimpse-cluster"]["24"]
    assert len(cluster["server_cpu_by_process"]) >= 5  # 2 instances, Redis, nginx and its workers
    assert cluster["gc_pauses"]["count"] > 0  # read from both instances' /metrics
    assert meeting["ratios"]["cluster_capacity"]["pairs"] in (0, 1)
