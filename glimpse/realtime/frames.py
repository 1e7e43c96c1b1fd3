"""Server-to-client WebSocket frames, built once per event.

A server's frames are not masked (RFC 6455 §5.1), so one event's frame is the same bytes for every
recipient: the hub builds it once and each connection writes it as it is.
"""

from __future__ import annotations

import struct

_FINAL_TEXT = 0x81
"""FIN bit and the text opcode: a whole message in one frame."""


def text_frame(payload: bytes) -> bytes:
    """A final, unmasked text frame carrying `payload` (UTF-8 text, e.g. encoded JSON)."""
    length = len(payload)
    if length < 126:
        header = bytes((_FINAL_TEXT, length))
    elif length < 1 << 16:
        header = struct.pack("!BBH", _FINAL_TEXT, 126, length)
    else:
        header = struct.pack("!BBQ", _FINAL_TEXT, 127, length)
    return header + payload


def frame_payload(frame: bytes) -> bytes:
    """The payload of a frame built by `text_frame` (for servers that frame messages themselves)."""
    length = frame[1]
    return frame[2 + {126: 2, 127: 8}.get(length, 0) :]
