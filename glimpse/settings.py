"""All configuration, read once from GLIMPSE_* environment variables (or passed explicitly)."""

from __future__ import annotations

import contextlib
import os
import secrets
from functools import cached_property
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_SECRET_LENGTH = 32
SECRET_FILE_NAME = "jwt-secret"  # noqa: S105 (a file name)


class Settings(BaseSettings):
    """Every setting Glimpse reads; the README lists them all."""

    model_config = SettingsConfigDict(env_prefix="GLIMPSE_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path("data")
    database_url: str = ""
    """Empty means SQLite in `data_dir` (sqlite:///data/glimpse.db); or postgresql://…, mongodb://…."""
    database_pool_size: int = Field(default=10, gt=0)
    """Connections each instance keeps to PostgreSQL or MongoDB."""
    bus_url: str = "memory://"
    bus_presence_ttl: float = Field(default=10.0, gt=0)
    """An instance silent on the bus this long (s) is dead: its participants leave their rooms."""
    bus_heartbeat_interval: float = Field(default=3.0, gt=0)
    """How often (s) an instance renews its presence on the bus and looks for dead instances."""
    web_dir: Path | None = None
    """Built web client to serve at /; empty = `web/dist` when it exists."""

    secret_key: SecretStr | None = None
    """Token-signing secret; generated on first start into `data_dir` when not given."""
    jwt_issuer: str = "glimpse"
    jwt_audience: str = "glimpse"
    access_token_ttl: int = Field(default=900, gt=0)
    refresh_token_ttl: int = Field(default=30 * 24 * 3600, gt=0)
    cookie_secure: bool = False
    """Mark the refresh cookie Secure (set it when served over HTTPS)."""

    ice_servers: str = "stun:stun.l.google.com:19302"
    """Comma-separated STUN/TURN URLs handed to clients."""
    turn_secret: SecretStr | None = None
    """coturn `static-auth-secret`: when set, TURN URLs get time-limited credentials."""
    turn_ttl: int = Field(default=3600, gt=0)

    auth_timeout: float = Field(default=5.0, gt=0)
    heartbeat_interval: float = Field(default=5.0, gt=0)
    heartbeat_timeout: float = Field(default=20.0, gt=0)
    max_frame_bytes: int = Field(default=64 * 1024, gt=0)
    max_chat_chars: int = Field(default=4000, gt=0)
    max_room_participants: int = Field(default=12, gt=0)
    send_buffer_bytes: int = Field(default=2 * 1024 * 1024, ge=16 * 1024)
    """Unsent data a client may leave before it counts as stalled and is dropped.

    Checked before each message, so one message larger than this (a `joined` with its history,
    up to about 1.3 MB at the defaults) still reaches a client that reads."""
    chat_rate: float = Field(default=5.0, gt=0)
    chat_burst: int = Field(default=20, gt=0)
    signal_rate: float = Field(default=100.0, gt=0)
    signal_burst: int = Field(default=400, gt=0)
    join_rate: float = Field(default=1.0, gt=0)
    join_burst: int = Field(default=5, gt=0)
    rate_limit_strikes: int = Field(default=20, gt=0)
    """Rejected messages tolerated (per 10 s) before a flooding socket is closed."""
    join_history: int = Field(default=50, ge=0, le=100)

    # The server's edge: connections, proxies, origins (glimpse/edge/)
    request_timeout: float = Field(default=10.0, gt=0)
    """Seconds a connection has to complete its HTTP request or WebSocket handshake."""
    max_connections: int = Field(default=10_000, gt=0)
    """Open TCP connections (HTTP and WebSocket), at most; lowered to fit the file descriptors."""
    fd_reserve: int = Field(default=256, ge=16)
    """File descriptors kept out of the connection cap: database, files, listening sockets."""
    max_websockets: int = Field(default=10_000, gt=0)
    """Open WebSockets, at most; the next handshake gets a 503."""
    trusted_proxies: str = "127.0.0.1,::1"
    """Comma-separated addresses or networks whose X-Forwarded-For/-Proto are believed; `*`: any."""
    allowed_origins: str = ""
    """Comma-separated origins allowed to open /ws (`*`: any); empty: the server's own origin."""

    @field_validator("secret_key", "turn_secret")
    @classmethod
    def _strong_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_SECRET_LENGTH:
            raise ValueError(f"a secret must be at least {MIN_SECRET_LENGTH} characters")
        return value

    @model_validator(mode="after")
    def _heartbeat_within_ttl(self) -> Settings:
        if self.bus_heartbeat_interval >= self.bus_presence_ttl:
            raise ValueError(
                "GLIMPSE_BUS_HEARTBEAT_INTERVAL must be below GLIMPSE_BUS_PRESENCE_TTL"
            )
        return self

    @cached_property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'glimpse.db'}"

    @cached_property
    def signing_secret(self) -> str:
        """The configured secret, or the one generated into the data folder on first start."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.data_dir / SECRET_FILE_NAME
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            scratch = path.with_name(f".{SECRET_FILE_NAME}.{os.getpid()}")
            scratch.touch(mode=0o600)
            scratch.write_text(secrets.token_urlsafe(48))
            with contextlib.suppress(FileExistsError):  # another process won the race
                os.link(scratch, path)
            scratch.unlink()
        stored = path.read_text().strip()
        if len(stored) < MIN_SECRET_LENGTH:
            raise ValueError(f"{path} holds no usable secret; delete it to generate a new one")
        return stored

    @property
    def ice_server_urls(self) -> list[str]:
        return [url.strip() for url in self.ice_servers.split(",") if url.strip()]
