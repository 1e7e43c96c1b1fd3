"""The `glimpse` command."""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn

from glimpse.app import create_app
from glimpse.auth.signup import SignupPolicy, invite_path
from glimpse.edge.http_protocol import GuardedHttpProtocol
from glimpse.errors import GlimpseError
from glimpse.observability.logs import configure_logging
from glimpse.realtime.connection import WebSocketConnection
from glimpse.settings import Settings


def uvicorn_config(settings: Settings) -> uvicorn.Config:
    """The server as Glimpse runs it: uvicorn for HTTP, Glimpse's own protocol for WebSockets.

    uvloop and httptools are what measured fastest under `make bench` (README, "Performance");
    `GuardedHttpProtocol` is uvicorn's httptools protocol with a request deadline and the
    connection cap; every WebSocket upgrade goes to `WebSocketConnection`, which closes messages
    over `max_message_bytes` (the largest `sfu-subscribed`, or GLIMPSE_MAX_FRAME_BYTES without
    an SFU) with 1009 and never compresses. X-Forwarded-For and
    X-Forwarded-Proto count only from GLIMPSE_TRUSTED_PROXIES.
    """
    return uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http=GuardedHttpProtocol,
        ws=WebSocketConnection,
        ws_max_size=settings.max_message_bytes,
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
    invite = commands.add_parser("invite", help="print a sign-up link for one e-mail address")
    invite.add_argument("email", help="the only address that can sign up with the link")
    invite.add_argument("--url", help="the server's public URL (default: http://HOST:PORT)")
    args = parser.parse_args(argv)
    if args.command == "invite":
        print_invite(Settings(), args.email, args.url)
        return

    overrides = {
        key: value for key, value in vars(args).items() if key != "command" and value is not None
    }
    settings = Settings(**overrides)
    config = uvicorn_config(settings)
    configure_logging(settings.log_format)  # after uvicorn's Config, which sets up its own
    uvicorn.Server(config).run()


def print_invite(settings: Settings, email: str, url: str | None) -> None:
    """Print an invite link signed with the server's secret (GLIMPSE_SECRET_KEY or data_dir's)."""
    policy = SignupPolicy(
        settings.signup, settings.signing_secret, settings.jwt_audience, settings.invite_ttl
    )
    try:
        token = policy.invite(email)
    except GlimpseError as error:
        raise SystemExit(f"glimpse invite: {error.message} (GLIMPSE_SIGNUP=closed)") from None
    base = (url or f"http://{settings.host}:{settings.port}").rstrip("/")
    print(f"{base}{invite_path(token)}")
