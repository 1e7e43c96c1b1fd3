"""Janus's raw recordings (.mjr, one per stream) turned into one file: mixed audio, a grid video.

Each .mjr is converted by `janus-pp-rec` (Opus to .opus, VP8 and VP9 to .webm, H.264 to .mp4,
the codecs Glimpse's Janus rooms accept); its header says when
Janus wrote the stream's first packet, so a stream that started late (someone joined, or turned
the camera on) is placed that many seconds after the first one. `ffmpeg` then mixes every audio
stream (`amix`) and lays the videos out in a grid on a black canvas (`overlay`, each shown from its
own start until its end), into one MP4 (H.264, AAC) as long as the longest stream reaches.

A stream that holds no media is left out (logged): Janus writes a stream's header with its first
packet, so one of a publisher who left (or kept a camera off) before sending anything has none,
and janus-pp-rec cannot read it; so is a stream janus-pp-rec cannot read or convert for another
reason. The mix fails only when no stream with media is left, saying why the others were left out.
Every step may take STEP_TIMEOUT plus STEP_TIMEOUT_PER_SECOND per second recorded.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

log = logging.getLogger(__name__)

CANVAS = (1280, 720)
FRAME_RATE = 25
STEP_TIMEOUT = 600.0
"""Seconds one conversion or the final mix may take before the recording counts as failed, plus
STEP_TIMEOUT_PER_SECOND per second recorded (`step_timeout`)."""
STEP_TIMEOUT_PER_SECOND = 4.0
"""Seconds more a step may take per second recorded: the mix of a long meeting takes longer
(seen: well under one second per second recorded)."""
INSTALL_HINT = "Debian: apt-get install janus-tools ffmpeg"
EXTENSIONS = {"opus": "opus", "vp8": "webm", "vp9": "webm", "h264": "mp4"}
"""What janus-pp-rec turns each codec into."""


class MixdownError(Exception):
    """A recording could not be turned into a file; the message says why."""


class ToolFailed(MixdownError):
    """A tool exited with an error, or printed nothing it should have, on what it was given."""


def step_timeout(recorded_seconds: float) -> float:
    """Seconds each step of the mixdown of a recording that long may take."""
    return STEP_TIMEOUT + STEP_TIMEOUT_PER_SECOND * max(recorded_seconds, 0.0)


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


async def run(*command: str | Path, time_limit: float = STEP_TIMEOUT) -> str:
    """Run a tool; its standard output, or ToolFailed with the end of what it printed (or
    MixdownError when it is missing or takes longer than `time_limit` seconds)."""
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
        async with asyncio.timeout(time_limit):
            out, err = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        raise MixdownError(f"{command[0]} took longer than {time_limit:.0f} s") from None
    except BaseException:
        process.kill()
        await process.wait()
        raise
    if process.returncode != 0:
        tail = err.decode(errors="replace").strip().splitlines()[-3:]
        raise ToolFailed(f"{command[0]} exited with {process.returncode}: {' / '.join(tail)}")
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
        raise ToolFailed("unreadable header")
    return header


async def _convert(
    mjr: Path, header: dict[str, object], work: Path, time_limit: float
) -> Path | None:
    """The stream as a playable file; None for data channels, and streams without packets."""
    kind, codec = header.get("t"), str(header.get("c"))
    if kind not in ("a", "v"):
        return None
    extension = EXTENSIONS.get(codec)
    if extension is None:
        raise MixdownError(f"{mjr.name}: codec {codec} is not one Glimpse converts")
    target = work / f"{mjr.stem}.{extension}"
    await run("janus-pp-rec", "--debug-level", "1", mjr, target, time_limit=time_limit)
    return target if await asyncio.to_thread(_has_content, target) else None


def _raw_streams(raw_dir: Path) -> list[Path]:
    return sorted(raw_dir.glob("*.mjr"))


def _has_content(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 0


async def convert_streams(raw_dir: Path, work: Path, time_limit: float) -> list[Stream]:
    """Every audio and video stream Janus wrote to `raw_dir` that holds media, converted, placed
    in time, in the order they started; those janus-pp-rec cannot read or convert are left out."""
    found: list[tuple[Path, Literal["audio", "video"], int]] = []
    left_out: list[str] = []
    for mjr in await asyncio.to_thread(_raw_streams, raw_dir):
        try:
            header = await _header(mjr)
            converted = await _convert(mjr, header, work, time_limit)
        except ToolFailed as error:  # no media (no header), or a broken stream
            log.warning("recording stream %s left out: %s", mjr.name, error)
            left_out.append(f"{mjr.name}: {error}")
            continue
        first_packet = header.get("u")
        if converted is not None and isinstance(first_packet, int) and first_packet > 0:
            found.append((converted, "audio" if header["t"] == "a" else "video", first_packet))
    if not found:
        reasons = f" ({'; '.join(left_out)})" if left_out else ""
        raise MixdownError(f"nothing was recorded: no stream with media{reasons}")
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


async def mixdown(raw_dir: Path, work: Path, output: Path, recorded_seconds: float) -> Mixed:
    """One MP4 at `output` from the .mjr files in `raw_dir` (`work` holds what is in between) of
    a recording that lasted `recorded_seconds` (each step's timeout grows with it)."""
    time_limit = step_timeout(recorded_seconds)
    await asyncio.to_thread(work.mkdir, parents=True, exist_ok=True)
    streams = await convert_streams(raw_dir, work, time_limit)
    if not streams:
        raise MixdownError("nothing was recorded: every stream is empty")
    await run(*mix_command(streams, output), time_limit=time_limit)
    size = (await asyncio.to_thread(output.stat)).st_size
    return Mixed(output, await media_duration(output), size)
