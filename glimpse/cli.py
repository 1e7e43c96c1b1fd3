"""The `glimpse` command."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import uvicorn

from glimpse.app import create_app
from glimpse.edge.http_protocol import GuardedHttpProtocol
from glimpse.realtime.connection import WebSocketConnection
from glimpse.settings import Settings


def uvicorn_config(settings: Settings) -> uvicorn.Config:
    """The server as Glimpse runs it: uvicorn for HTTP, Glimpse's own protocol for WebSockets.

    uvloop and httptools are what measured fastest under `make bench` (README, "Performance");
    `GuardedHttpProtocol` is uvicorn's httptools protocol with a request deadline and the
    connection cap; every WebSocket upgrade goes to `WebSocketConnection`, which closes frames
    over GLIMPSE_MAX_FRAME_BYTES with 1009 and never compresses. X-Forwarded-For and
    X-Forwarded-Proto count only from GLIMPSE_TRUSTED_PROXIES.
    """
    return uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http=GuardedHttpProtocol,
        ws=WebSocketConnection,
        ws_max_size=settings.max_frame_bytes,
        proxy_headers=True,
        forwarded_allow_ips=settings.trusted_proxies,
        log_level="info",
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="glimpse", description="Glimpse meeting server")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the server (settings: GLIMPSE_* variables)")
    serve.add_argument("--host", help="address to listen on (GLIMPSE_HOST)")
    serve.add_argument("--port", type=int, help="port to listen on (GLIMPSE_PORT)")
    serve.add_argument("--database-url", help="sqlite:///…, postgresql://…, mongodb://…")
    serve.add_argument("--bus-url", help="memory:// or redis://…")
    serve.add_argument("--data-dir", type=Path, help="folder for the SQLite file and secrets")
    args = parser.parse_args(argv)

    overrides = {
        key: value for key, value in vars(args).items() if key != "command" and value is not None
    }
    settings = Settings(**overrides)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    uvicorn.Server(uvicorn_config(settings)).run()
