"""The mixdown's failures say why, in words an operator can act on."""

from __future__ import annotations

from pathlib import Path

import pytest

from glimpse.recordings.mixdown import MixdownError, mixdown, run

pytestmark = pytest.mark.timeout(30)


async def test_a_missing_tool_is_named() -> None:
    with pytest.raises(MixdownError, match="no-such-tool is not installed"):
        await run("no-such-tool", "--help")


async def test_a_folder_without_streams_is_nothing_recorded(tmp_path: Path) -> None:
    with pytest.raises(MixdownError, match="nothing was recorded"):
        await mixdown(tmp_path, tmp_path / "work", tmp_path / "out.mp4", 1.0)


async def test_a_broken_stream_fails_with_the_tools_words(tmp_path: Path) -> None:
    (tmp_path / "broken.mjr").write_bytes(b"MJR00002" + b"\x00" * 64)
    with pytest.raises(MixdownError, match="janus-pp-rec"):
        await mixdown(tmp_path, tmp_path / "work", tmp_path / "out.mp4", 1.0)
