"""What ffprobe and ffmpeg tell of a recording's file."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any


def probe(path: Path) -> dict[str, Any]:
    """ffprobe's report of the format and every stream."""
    out = subprocess.run(  # noqa: S603
        ["/usr/bin/ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json",
         str(path)],
        capture_output=True, check=True, timeout=30,
    ).stdout  # fmt: skip
    probed: dict[str, Any] = json.loads(out)
    return probed


def brightness(path: Path, at: float, *, right_half: bool) -> float:
    """The mean of the RGB values (0-255) of one half of the video's frame at `at` seconds
    (aiortc's synthetic camera is green: about 45; the canvas, black: 0)."""
    crop = "crop=iw/2:ih:iw/2:0" if right_half else "crop=iw/2:ih:0:0"
    pixels = subprocess.run(  # noqa: S603
        ["/usr/bin/ffmpeg", "-v", "error", "-ss", str(at), "-i", str(path), "-frames:v", "1",
         "-vf", f"{crop},format=rgb24", "-f", "rawvideo", "-"],
        capture_output=True, check=True, timeout=30,
    ).stdout  # fmt: skip
    return sum(pixels) / len(pixels)


def mean_volume(path: Path, start: float, end: float) -> float:
    """The mean volume (dB) of the audio between two times."""
    report = subprocess.run(  # noqa: S603
        ["/usr/bin/ffmpeg", "-hide_banner", "-i", str(path), "-vn",
         "-af", f"atrim={start}:{end},volumedetect", "-f", "null", "-"],
        capture_output=True, check=True, timeout=30, text=True,
    ).stderr  # fmt: skip
    return float(report.split("mean_volume:")[1].split("dB")[0])
