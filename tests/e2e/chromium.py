"""Debian's Chromium as the end-to-end tests and the bench's browser metric launch it."""

from __future__ import annotations

from pathlib import Path

CHROMIUM = Path("/usr/lib/chromium/chromium")
"""The binary itself: the /usr/bin/chromium wrapper prints a warning."""

CHROMIUM_FLAGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
"""A fake camera and microphone, no permission prompts, and no reaching for the closed network."""
