"""Server frames as a WebSocket client reads them, at each of the three length encodings."""

from __future__ import annotations

import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from glimpse.realtime.frames import text_frame


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 300_000])
def test_a_client_reads_the_payload_back(size: int) -> None:
    payload = b"x" * size
    reader = StreamReader()
    reader.feed_data(text_frame(payload))
    reader.feed_eof()
    parser = Frame.parse(reader.read_exact, mask=False)
    with pytest.raises(StopIteration) as done:
        next(parser)
    frame: Frame = done.value.value
    assert (frame.opcode, frame.fin, bytes(frame.data)) == (Opcode.TEXT, True, payload)
    assert not reader.buffer  # nothing left over: the header announced the exact length
