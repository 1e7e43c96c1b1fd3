"""Clients that stop reading, for metric 5; driven by the load generator over stdin/stdout.

They live apart from the Node generator because a reader that stalls must have a small kernel
receive buffer (SO_RCVBUF, set before connecting); otherwise Linux absorbs tens of megabytes per
socket on loopback and the server never sees a slow reader. Commands on stdin: `stall` (stop
reading), `resume` (read again until the server closes the socket, then report close codes).

    python bench/stalled_clients.py PROTOCOL URL TOKEN:ROOM [TOKEN:ROOM ...]
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from urllib.parse import quote, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

RECEIVE_BUFFER_BYTES = 4096
RESUME_SECONDS = 5.0


class StalledClient:
    def __init__(self, protocol: str, url: str, token: str, room: str) -> None:
        self.protocol = protocol
        path = {
            "glimpse": "/ws",
            "socketio": "/socket.io/?EIO=4&transport=websocket",
            "raw": f"/?room={quote(room)}",
        }[protocol]
        parts = urlsplit(url)
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
        sock.connect((parts.hostname, parts.port))
        self.ws: ClientConnection = connect(url + path, sock=sock, compression=None, max_size=None)
        self.reading = threading.Event()
        self.reading.set()
        self.close_code: int | None = None
        if protocol == "glimpse":
            self.ws.send(json.dumps({"type": "auth", "token": token}))
            self._until(lambda frame: '"authenticated"' in frame)
            self.ws.send(json.dumps({"type": "join", "room": room}))
            self._until(lambda frame: frame.startswith('{"type":"joined"'))
        elif protocol == "socketio":
            self._until(lambda frame: frame.startswith("0"))
            self.ws.send("40" + json.dumps({"token": token}))
            self._until(lambda frame: frame.startswith("40"))
            self.ws.send("421" + json.dumps(["join", {"room": room}]))
            self._until(lambda frame: frame.startswith("431"))
        threading.Thread(target=self._read, daemon=True).start()

    def _until(self, done: object) -> None:
        while not done(self._answer(str(self.ws.recv()))):  # type: ignore[operator]
            pass

    def _answer(self, frame: str) -> str:
        """Keep the connection alive the way a real client does."""
        if frame == '{"type":"ping"}':
            self.ws.send('{"type":"pong"}')
        elif frame == "2":
            self.ws.send("3")
        return frame

    def _read(self) -> None:
        try:
            while True:
                self.reading.wait()
                self._answer(str(self.ws.recv()))
        except ConnectionClosed as closed:
            self.close_code = closed.rcvd.code if closed.rcvd else 1006


def main() -> None:
    protocol, url, *pairs = sys.argv[1:]
    clients = [StalledClient(protocol, url, *pair.split(":", 1)) for pair in pairs]
    print("ready", flush=True)
    for command in sys.stdin:
        if command.strip() == "stall":
            for client in clients:
                client.reading.clear()
            print("stalled", flush=True)
        elif command.strip() == "resume":
            for client in clients:
                client.reading.set()
            deadline = time.monotonic() + RESUME_SECONDS
            while time.monotonic() < deadline and any(c.close_code is None for c in clients):
                time.sleep(0.05)
            print(json.dumps([client.close_code for client in clients]), flush=True)
            return


if __name__ == "__main__":
    main()
