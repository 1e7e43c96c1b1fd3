"""The retention sweep: finished recordings older than GLIMPSE_RECORDING_RETENTION_DAYS are
deleted, their file, their raw streams and their record (one still recorded or being made waits
until it is done); so are files and raw folders no record names (a deleted room's, say) once they
are an hour old (younger ones may be a recording being made). Only names of Glimpse's making are
touched (a recording's id, and its file's name): anything else in the folders stays.

Every instance sweeps every hour; sweeps running at once on several instances only find each
other's work done.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

from glimpse.recordings.recorder import FILE_EXTENSION, Recorder, is_recording_id
from glimpse.store import Store

log = logging.getLogger(__name__)

SWEEP_INTERVAL: Final = 3600.0
ORPHAN_AGE: Final = 3600.0
"""Seconds a file or raw folder no record names is kept (it may be a recording being made)."""


@dataclass(frozen=True, slots=True)
class Swept:
    recordings: int
    """Recordings past retention deleted, with their files."""
    orphans: int
    """Files and raw folders deleted that no record named."""


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _old_entries(folder: Path, suffix: str, older_than: float) -> list[Path]:
    """What `folder` holds of Glimpse's making (a recording's id followed by `suffix`) that was
    last changed before `older_than` (a Unix time)."""
    if not folder.is_dir():
        return []
    return [
        entry
        for entry in folder.iterdir()
        if entry.name.endswith(suffix)
        and is_recording_id(entry.name.removesuffix(suffix))
        and entry.stat().st_mtime < older_than
    ]


async def sweep(store: Store, recorder: Recorder, retention: timedelta) -> Swept:
    """Delete what is past retention, and what no record names."""
    started_before = await store.recordings_started_before(datetime.now(UTC) - retention)
    expired = [r for r in started_before if r.status not in ("recording", "processing")]
    for recording in expired:
        await asyncio.to_thread(_remove, recorder.raw_dir / recording.id)
        if recording.file_name:
            await asyncio.to_thread(_remove, recorder.recordings_dir / recording.file_name)
        await store.delete_recording(recording.id)
    orphans = 0
    settled = time.time() - ORPHAN_AGE
    named = await store.recording_files()
    for entry in await asyncio.to_thread(
        _old_entries, recorder.recordings_dir, FILE_EXTENSION, settled
    ):
        if entry.name not in named:
            await asyncio.to_thread(_remove, entry)
            orphans += 1
    for entry in await asyncio.to_thread(_old_entries, recorder.raw_dir, "", settled):
        if await store.get_recording(entry.name) is None:
            await asyncio.to_thread(_remove, entry)
            orphans += 1
    if expired or orphans:
        log.info("retention sweep: %d recordings and %d orphans deleted", len(expired), orphans)
    return Swept(len(expired), orphans)


async def sweep_every_hour(store: Store, recorder: Recorder, retention: timedelta) -> None:
    """Sweep now and every SWEEP_INTERVAL seconds until cancelled; a failed sweep is logged."""
    while True:
        try:
            await sweep(store, recorder, retention)
        except Exception:
            log.exception("the recordings' retention sweep failed")
        await asyncio.sleep(SWEEP_INTERVAL)
