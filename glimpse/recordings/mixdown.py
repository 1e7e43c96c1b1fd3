"""Janus's raw recordings (.mjr, one per stream) turned into one file: mixed audio, a grid video.

Each .mjr is converted by `janus-pp-rec` (Opus to .opus, VP8 and VP9 to .webm, H.264 to .mp4,
the codecs Glimpse's Janus rooms accept); its header says when
Janus wrote the stream's first packet, so a stream that started late (someone joined, or turned
the camera on) is placed that many seconds after the first one. `ffmpeg` then mixes every audio
stream (`amix`) and lays the videos out in a grid on a black canvas (`overlay`, each shown from its
own start until its end), into one MP4 (H.264, AAC) as long as the longest stream reaches.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

CANVAS = (1280, 720)
FRAME_RATE = 25
STEP_TIMEOUT = 600.0
"""Seconds one conversion or the final mix may take before the recording counts as failed."""
INSTALL_HINT = "Debian: apt-get install janus-tools ffmpeg"
EXTENSIONS = {"opus": "opus", "vp8": "webm", "vp9": "webm", "h264": "mp4"}
"""What janus-pp-rec turns each codec into."""


class MixdownError(Exception):
    """A recording could not be turned into a file; the message says why."""


@dataclass(frozen=True, slots=True)
class Stream:
    """One converted stream, placed on the recording's timeline."""

    path: Path
    kind: Literal["audio", "video"]
    offset: float
    """Seconds after the first stream of the recording started."""
    duration: float


@dataclass(frozen=True, slots=True)
class Mixed:
    path: Path
    duration: float
    size_bytes: int


async def run(*command: str | Path) -> str:
    """Run a tool; its standard output, or MixdownError with the end of what it printed (or
    when it takes longer than STEP_TIMEOUT)."""
    try:
        process = await asyncio.create_subprocess_exec(
            *map(str, command),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except FileNotFoundError:
        raise MixdownError(f"{command[0]} is not installed ({INSTALL_HINT})") from None
    try:
        async with asyncio.timeout(STEP_TIMEOUT):
            out, err = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        raise MixdownError(f"{command[0]} took longer than {STEP_TIMEOUT:.0f} s") from None
    except BaseException:
        process.kill()
        await process.wait()
        raise
    if process.returncode != 0:
        tail = err.decode(errors="replace").strip().splitlines()[-3:]
        raise MixdownError(f"{command[0]} exited with {process.returncode}: {' / '.join(tail)}")
    return out.decode(errors="replace")


async def media_duration(path: Path) -> float:
    """The duration ffprobe reads from a media file's container (0 when it has none)."""
    out = await run(
        "ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", path
    )
    duration = json.loads(out).get("format", {}).get("duration")
    return float(duration) if duration not in (None, "N/A") else 0.0


async def _header(mjr: Path) -> dict[str, object]:
    """The .mjr's header: `t` (a, v or d), `c` (codec), `u` (first packet written, µs)."""
    try:
        header = json.loads(await run("janus-pp-rec", "--json", "--debug-level", "0", mjr))
    except ValueError:
        header = None
    if not isinstance(header, dict):
        raise MixdownError(f"{mjr.name}: unreadable header")
    return header


async def _convert(mjr: Path, header: dict[str, object], work: Path) -> Path | None:
    """The stream as a playable file; None for data channels, and streams without packets."""
    kind, codec = header.get("t"), str(header.get("c"))
    if kind not in ("a", "v"):
        return None
    extension = EXTENSIONS.get(codec)
    if extension is None:
        raise MixdownError(f"{mjr.name}: codec {codec} is not one Glimpse converts")
    target = work / f"{mjr.stem}.{extension}"
    await run("janus-pp-rec", "--debug-level", "1", mjr, target)
    return target if await asyncio.to_thread(_has_content, target) else None


def _raw_streams(raw_dir: Path) -> list[Path]:
    return sorted(raw_dir.glob("*.mjr"))


def _has_content(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 0


async def convert_streams(raw_dir: Path, work: Path) -> list[Stream]:
    """Every audio and video stream Janus wrote to `raw_dir`, converted, placed in time, in the
    order they started."""
    found: list[tuple[Path, Literal["audio", "video"], int]] = []
    for mjr in await asyncio.to_thread(_raw_streams, raw_dir):
        header = await _header(mjr)
        converted = await _convert(mjr, header, work)
        first_packet = header.get("u")
        if converted is not None and isinstance(first_packet, int) and first_packet > 0:
            found.append((converted, "audio" if header["t"] == "a" else "video", first_packet))
    if not found:
        raise MixdownError("nothing was recorded: no stream with media")
    found.sort(key=lambda stream: stream[2])  # the grid fills in the order people appeared
    start = found[0][2]
    streams = [
        Stream(path, kind, (first - start) / 1e6, await media_duration(path))
        for path, kind, first in found
    ]
    return [stream for stream in streams if stream.duration > 0]


def _grid(count: int) -> tuple[int, int, int, int]:
    """Columns, rows, and a cell's width and height (even) for `count` videos on the canvas."""
    columns = math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    width, height = CANVAS
    return columns, rows, width // columns // 2 * 2, height // rows // 2 * 2


def mix_command(streams: Sequence[Stream], output: Path) -> list[str]:
    """The ffmpeg command that mixes `streams` into `output` (MP4)."""
    videos = [s for s in streams if s.kind == "video"]
    audios = [s for s in streams if s.kind == "audio"]
    total = max(s.offset + s.duration for s in streams)
    command = ["ffmpeg", "-nostdin", "-y", "-v", "error"]
    for stream in (*videos, *audios):
        command += ["-i", str(stream.path)]
    width, height = CANVAS
    graph = [f"color=c=black:s={width}x{height}:r={FRAME_RATE}:d={total:.3f}[canvas]"]
    canvas = "canvas"
    if videos:
        columns, _, cell_w, cell_h = _grid(len(videos))
        for index, video in enumerate(videos):
            x, y = index % columns * cell_w, index // columns * cell_h
            graph.append(
                f"[{index}:v]setpts=PTS-STARTPTS+{video.offset:.3f}/TB,"
                f"scale={cell_w}:{cell_h}:force_original_aspect_ratio=decrease,"
                f"pad={cell_w}:{cell_h}:(ow-iw)/2:(oh-ih)/2[cell{index}]"
            )
            drawn = f"grid{index}"
            graph.append(
                f"[{canvas}][cell{index}]overlay={x}:{y}:eof_action=pass:repeatlast=0[{drawn}]"
            )
            canvas = drawn
    graph.append(f"[{canvas}]null[vout]")
    if audios:
        labels = ""
        for index, audio in enumerate(audios, start=len(videos)):
            delay = round(audio.offset * 1000)
            graph.append(f"[{index}:a]asetpts=PTS-STARTPTS,adelay=delays={delay}:all=1[a{index}]")
            labels += f"[a{index}]"
        graph.append(f"{labels}amix=inputs={len(audios)}:duration=longest:normalize=0,apad[aout]")
    else:
        graph.append("anullsrc=r=48000:cl=stereo[aout]")
    command += ["-filter_complex", ";".join(graph), "-map", "[vout]", "-map", "[aout]"]
    command += ["-c:v", "libx264", "-preset", "veryfast", "-crf", "28", "-pix_fmt", "yuv420p"]
    command += ["-c:a", "aac", "-b:a", "96k", "-t", f"{total:.3f}", "-movflags", "+faststart"]
    return [*command, str(output)]


async def mixdown(raw_dir: Path, work: Path, output: Path) -> Mixed:
    """One MP4 at `output` from the .mjr files in `raw_dir` (`work` holds what is in between)."""
    await asyncio.to_thread(work.mkdir, parents=True, exist_ok=True)
    streams = await convert_streams(raw_dir, work)
    if not streams:
        raise MixdownError("nothing was recorded: every stream is empty")
    await run(*mix_command(streams, output))
    size = (await asyncio.to_thread(output.stat)).st_size
    return Mixed(output, await media_duration(output), size)
