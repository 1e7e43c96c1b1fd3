"""An asyncio client of Janus's WebSocket API (https://janus.conf.meetecho.com/docs/rest.html).

One `JanusSession` is one WebSocket and one Janus session on it, probed (and kept alive: Janus
drops a session after 60 s of silence) by a keepalive every few seconds (`Probing`). Plugin handles
are attached on it; each handle's requests are either answered at once (`success`) or acknowledged
(`ack`) and answered later by an `event` with the same transaction; events without a transaction
(a publisher joined, `talking`, `webrtcup`, `hangup`) go to the handle's listener. When the socket
closes, a request goes unanswered, or keepalives go unanswered in time several times in a row (a
hung Janus, or one whose machine vanished without closing the connection), the session is dead:
pending requests fail with `JanusGone`, and the session's `closed` event is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

log = logging.getLogger(__name__)

Json = dict[str, Any]
"""A JSON object as Janus sends and receives it."""

SUBPROTOCOL: Final = Subprotocol("janus-protocol")
REQUEST_TIMEOUT: Final = 10.0
"""Seconds a request may wait for its answer before the session is taken for dead."""


class JanusError(Exception):
    """Janus refused a request: a core error (`janus: error`) or a plugin's (`error_code`)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"Janus error {code}: {reason}")
        self.code = code
        self.reason = reason


class JanusGone(JanusError):
    """The session is dead: its socket closed, or Janus stopped answering."""

    def __init__(self, reason: str) -> None:
        super().__init__(0, reason)


@dataclass(frozen=True, slots=True)
class JanusEvent:
    """A message from Janus about one handle: a plugin event (`data` is the plugin's payload, with
    `jsep` when it carries SDP), or a core one (`kind` `webrtcup`, `hangup`, `media`, `slowlink`,
    `detached`: `data` is the whole message)."""

    kind: str
    data: Json
    jsep: Json | None = None


EventListener = Callable[[JanusEvent], None]


@dataclass(frozen=True, slots=True)
class Probing:
    """How a session checks that Janus answers: a keepalive starts every `interval` seconds and
    must be answered within `timeout` (below the interval); `misses` unanswered in a row and the
    session is dead, so one slow answer is not a death. A hung Janus is noticed within
    `misses * interval + timeout` seconds."""

    interval: float
    timeout: float
    misses: int


@dataclass(eq=False, slots=True)
class JanusHandle:
    """A handle attached to a plugin; `on_event` receives its unsolicited events."""

    session: JanusSession
    id: int
    plugin: str
    on_event: EventListener | None = None

    async def request(self, body: Json, jsep: Json | None = None) -> JanusEvent:
        """Send `body` to the plugin (with `jsep`, an offer or an answer) and return its answer:
        at once for a synchronous request, or the event that follows the `ack` of an asynchronous
        one. A plugin error (`error_code`) raises `JanusError`."""
        message: Json = {"janus": "message", "handle_id": self.id, "body": body}
        if jsep is not None:
            message["jsep"] = jsep
        reply = await self.session.call(message, answers=("success", "event"))
        plugindata = reply.get("plugindata", {})
        data: Json = plugindata.get("data", {})
        if "error_code" in data:
            raise JanusError(int(data["error_code"]), str(data.get("error", "")))
        return JanusEvent(reply["janus"], data, reply.get("jsep"))

    async def trickle(self, candidate: Json | None) -> None:
        """A candidate of the peer for this handle's PeerConnection; None: no more candidates."""
        await self.session.call(
            {
                "janus": "trickle",
                "handle_id": self.id,
                "candidate": candidate if candidate is not None else {"completed": True},
            },
            answers=("ack",),
        )

    async def hangup(self) -> None:
        """Close the handle's PeerConnection, keeping the handle."""
        await self.session.call({"janus": "hangup", "handle_id": self.id}, answers=("success",))

    async def detach(self) -> None:
        """Detach the handle (Janus tears down what it had); a dead session has nothing to do."""
        self.session.forget(self)
        if self.session.alive:
            with contextlib.suppress(JanusError):
                await self.session.call(
                    {"janus": "detach", "handle_id": self.id}, answers=("success",)
                )


@dataclass(eq=False)
class JanusSession:
    """A Janus session on its own WebSocket; `connect` opens one."""

    url: str
    socket: ClientConnection
    api_secret: str
    id: int = 0
    timeout: float = REQUEST_TIMEOUT
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once the session is dead (or closed): its handles are gone with it."""
    close_reason: str = ""
    _pending: dict[str, tuple[asyncio.Future[Json], tuple[str, ...]]] = field(default_factory=dict)
    _handles: dict[int, JanusHandle] = field(default_factory=dict)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    async def connect(
        cls,
        url: str,
        api_secret: str,
        *,
        probing: Probing,
        request_timeout: float = REQUEST_TIMEOUT,
    ) -> JanusSession:
        """Open a WebSocket to Janus at `url` and create a session with the API secret; raises
        `JanusGone` when Janus cannot be reached and `JanusError` when it refuses."""
        try:
            opening = connect(url, subprotocols=[SUBPROTOCOL], open_timeout=request_timeout)
            socket = await asyncio.wait_for(opening, request_timeout)
        except (OSError, TimeoutError, ConnectionClosed) as error:
            raise JanusGone(f"cannot reach Janus at {url}: {error}") from error
        session = cls(url, socket, api_secret, timeout=request_timeout)
        session._tasks.append(asyncio.create_task(session._read(), name=f"janus-read {url}"))
        try:
            created = await session.call({"janus": "create"}, answers=("success",))
        except BaseException:
            await session.close()
            raise
        session.id = int(created["data"]["id"])
        session._tasks.append(
            asyncio.create_task(session._probe(probing), name=f"janus-probe {url}")
        )
        return session

    @property
    def alive(self) -> bool:
        return not self.closed.is_set()

    async def attach(self, plugin: str, on_event: EventListener | None = None) -> JanusHandle:
        """A new handle on `plugin` (e.g. `janus.plugin.videoroom`)."""
        attached = await self.call({"janus": "attach", "plugin": plugin}, answers=("success",))
        handle = JanusHandle(self, int(attached["data"]["id"]), plugin, on_event)
        self._handles[handle.id] = handle
        return handle

    def forget(self, handle: JanusHandle) -> None:
        """Stop routing events to `handle`."""
        self._handles.pop(handle.id, None)

    async def call(self, message: Json, *, answers: tuple[str, ...]) -> Json:
        """Send `message` with a fresh transaction, the API secret and the session id, and wait for
        the first reply whose `janus` is one of `answers` (an `error` raises `JanusError`)."""
        if not self.alive:
            raise JanusGone(self.close_reason)
        try:
            reply = await self._exchange(message, answers, self.timeout)
        except TimeoutError as error:
            self._die(f"no answer to {message['janus']} within {self.timeout} s")
            raise JanusGone(self.close_reason) from error
        if reply.get("janus") == "error":
            error_info = reply.get("error", {})
            raise JanusError(int(error_info.get("code", 0)), str(error_info.get("reason", "")))
        return reply

    async def _exchange(self, message: Json, answers: tuple[str, ...], within: float) -> Json:
        """Send `message` (as `call` does) and wait at most `within` seconds for its reply (else
        `TimeoutError`); a closed socket kills the session."""
        transaction = secrets.token_hex(8)
        message = {**message, "transaction": transaction, "apisecret": self.api_secret}
        if self.id:
            message["session_id"] = self.id
        future: asyncio.Future[Json] = asyncio.get_running_loop().create_future()
        self._pending[transaction] = (future, answers)
        try:
            await self.socket.send(json.dumps(message))
            return await asyncio.wait_for(asyncio.shield(future), within)
        except ConnectionClosed as error:
            self._die(f"connection closed: {error}")
            raise JanusGone(self.close_reason) from error
        finally:
            self._pending.pop(transaction, None)

    async def close(self) -> None:
        """Destroy the session (when Janus still answers) and close the socket: with a closing
        handshake while the session lives, at once when it is dead (a hung Janus would not
        finish one)."""
        if self.alive and self.id:
            with contextlib.suppress(JanusError):
                await self.call({"janus": "destroy"}, answers=("success",))
        if self.alive:
            self._die("closed")
            await self.socket.close()
        else:
            self.socket.transport.abort()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _die(self, reason: str) -> None:
        if not self.alive:
            return
        self.close_reason = reason
        self.closed.set()
        for future, _ in self._pending.values():
            if not future.done():
                future.set_exception(JanusGone(reason))
        self._handles.clear()
        if reason != "closed":
            log.warning("Janus session at %s is dead: %s", self.url, reason)
            self._tasks.append(asyncio.get_running_loop().create_task(self._close_socket()))

    async def _close_socket(self) -> None:
        await self.socket.close()

    async def _probe(self, probing: Probing) -> None:
        loop = asyncio.get_running_loop()
        due, missed = loop.time(), 0
        while self.alive:
            # each starts on time, whatever the last one took (none to catch up after a stall)
            due = max(due + probing.interval, loop.time())
            await asyncio.sleep(due - loop.time())
            try:
                await self._exchange({"janus": "keepalive"}, ("ack",), probing.timeout)
                missed = 0
            except TimeoutError:
                missed += 1
            except JanusGone:
                return
            if missed >= probing.misses:
                self._die(f"{missed} keepalives in a row unanswered within {probing.timeout} s")

    async def _read(self) -> None:
        try:
            async for frame in self.socket:
                self._receive(json.loads(frame))
        except ConnectionClosed:
            pass
        except Exception:
            log.exception("reading from Janus at %s failed", self.url)
        self._die("connection closed")

    def _receive(self, message: Json) -> None:
        kind = str(message.get("janus", ""))
        transaction = message.get("transaction")
        if isinstance(transaction, str) and transaction in self._pending:
            future, answers = self._pending[transaction]
            if (kind in answers or kind == "error") and not future.done():
                future.set_result(message)
            return
        if kind == "timeout":
            self._die("Janus timed the session out")
            return
        handle = self._handles.get(int(message.get("sender", 0)))
        if handle is None or handle.on_event is None:
            return
        if kind == "event":
            data: Json = message.get("plugindata", {}).get("data", {})
            event = JanusEvent(kind, data, message.get("jsep"))
        else:
            event = JanusEvent(kind, message)
        try:
            handle.on_event(event)
        except Exception:
            log.exception("a listener of Janus handle %s failed on %s", handle.id, kind)
