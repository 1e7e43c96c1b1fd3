"""A minimal TURN client (RFC 8656) over UDP: Allocate and CreatePermission, nothing relayed.

It asks coturn for things and reads the answer; it never sends data through a relay, so no packet
goes to the peer addresses it names.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import os
import socket
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

MAGIC_COOKIE: Final = 0x2112A442
ALLOCATE: Final = 0x0003
CREATE_PERMISSION: Final = 0x0008
SUCCESS: Final = 0x0100
ERROR: Final = 0x0110
USERNAME, MESSAGE_INTEGRITY, ERROR_CODE = 0x0006, 0x0008, 0x0009
XOR_PEER_ADDRESS, REALM, NONCE = 0x0012, 0x0014, 0x0015
REQUESTED_ADDRESS_FAMILY, REQUESTED_TRANSPORT, FINGERPRINT = 0x0017, 0x0019, 0x8028
UDP: Final = 17


@dataclass(frozen=True, slots=True)
class Answer:
    ok: bool
    code: int | None = None
    """The error code (401, 403, 486 ...) when not ok."""
    reason: str = ""


class TurnClient:
    """One client address talking to a TURN server with long-term credentials."""

    def __init__(self, port: int, username: str, password: str, host: str = "127.0.0.1") -> None:
        self._username = username
        self._password = password
        self._realm = b""
        self._nonce = b""
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.setblocking(False)
        self._sock.connect((host, port))

    def close(self) -> None:
        self._sock.close()

    async def allocate(self, family: int = 4) -> Answer:
        """A UDP relay of this address family (4 or 6) for this client."""
        requested = [
            (REQUESTED_TRANSPORT, bytes([UDP, 0, 0, 0])),
            (REQUESTED_ADDRESS_FAMILY, bytes([1 if family == 4 else 2, 0, 0, 0])),
        ]
        return await self._request(ALLOCATE, lambda _: requested)

    async def create_permission(self, peer: str) -> Answer:
        """Ask to relay to and from `peer` (no packet is sent to it)."""
        return await self._request(
            CREATE_PERMISSION, lambda transaction: [(XOR_PEER_ADDRESS, _xor(peer, transaction))]
        )

    async def _request(
        self, method: int, attributes: Callable[[bytes], list[tuple[int, bytes]]]
    ) -> Answer:
        """Send a request; a 401 (or a 438) gives the realm and nonce to sign it with."""
        for _ in range(3):
            transaction = os.urandom(12)
            message = self._encode(method, transaction, attributes(transaction))
            loop = asyncio.get_running_loop()
            await loop.sock_sendall(self._sock, message)
            answer, values = _decode(await asyncio.wait_for(loop.sock_recv(self._sock, 2048), 5))
            if answer.code in (401, 438) and NONCE in values:
                self._realm = values.get(REALM, self._realm)
                self._nonce = values[NONCE]
                continue
            return answer
        raise AssertionError("the TURN server never accepted the credentials")

    def _encode(
        self, method: int, transaction: bytes, attributes: list[tuple[int, bytes]]
    ) -> bytes:
        body = b"".join(_attribute(kind, value) for kind, value in attributes)
        if self._nonce:
            body += _attribute(USERNAME, self._username.encode())
            body += _attribute(REALM, self._realm) + _attribute(NONCE, self._nonce)
            key = hashlib.md5(  # noqa: S324  # the key derivation RFC 8489 prescribes
                f"{self._username}:{self._realm.decode()}:{self._password}".encode()
            ).digest()
            signed = _header(method, len(body) + 24, transaction) + body
            body += _attribute(MESSAGE_INTEGRITY, hmac.digest(key, signed, "sha1"))
        crc = zlib.crc32(_header(method, len(body) + 8, transaction) + body) ^ 0x5354554E
        body += _attribute(FINGERPRINT, struct.pack("!I", crc))
        return _header(method, len(body), transaction) + body


def _header(method: int, length: int, transaction: bytes) -> bytes:
    return struct.pack("!HHI", method, length, MAGIC_COOKIE) + transaction


def _attribute(kind: int, value: bytes) -> bytes:
    return struct.pack("!HH", kind, len(value)) + value + b"\x00" * (-len(value) % 4)


def _xor(peer: str, transaction: bytes) -> bytes:
    address = ipaddress.ip_address(peer)
    key = struct.pack("!I", MAGIC_COOKIE) + (transaction if address.version == 6 else b"")
    xored = bytes(a ^ b for a, b in zip(address.packed, key, strict=False))
    family = 0x01 if address.version == 4 else 0x02
    port = 50000 ^ (MAGIC_COOKIE >> 16)
    return struct.pack("!BBH", 0, family, port) + xored


def _decode(message: bytes) -> tuple[Answer, dict[int, bytes]]:
    kind, length = struct.unpack("!HH", message[:4])
    values: dict[int, bytes] = {}
    offset = 20
    while offset < 20 + length:
        attribute, size = struct.unpack("!HH", message[offset : offset + 4])
        values[attribute] = message[offset + 4 : offset + 4 + size]
        offset += 4 + size + (-size % 4)
    if kind & ERROR == ERROR:
        error = values[ERROR_CODE]
        code = error[2] * 100 + error[3]
        return Answer(False, code, error[4:].decode(errors="replace")), values
    assert kind & SUCCESS == SUCCESS, f"unexpected STUN message type {kind:#06x}"
    return Answer(True), values
