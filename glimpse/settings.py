"""All configuration, read once from GLIMPSE_* environment variables (or passed explicitly)."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
from functools import cached_property
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from glimpse.limits import Rate

MIN_SECRET_LENGTH = 32
SECRET_FILE_NAME = "jwt-secret"  # noqa: S105 (a file name)
SUBSCRIBED_SECTIONS_PER_PARTICIPANT = 3
"""Media sections one other participant takes in a subscription: its camera's audio and video and
its screen. Janus gives a new stream a section a withdrawn one left (inactive) of the same kind,
so a subscription holds no more than were subscribed at once."""
SUBSCRIBED_BYTES_PER_SECTION = 1024
"""What an `sfu-subscribed` may take per media section, as JSON on the wire and as SDP: Chromium's
answers to Janus measured 715 to 810 bytes of JSON per section (1 to 49 cameras with up to 49
screens: 112,824 bytes for 49 of each, 147 sections)."""
ENVELOPE_BYTES = 1024
"""An `sfu-subscribed` beside its SDP: `type`, `version`, `ref` and the JSON around them."""


def _rate(value: Any) -> Any:
    return Rate.parse(value) if isinstance(value, str) else value


RateSetting = Annotated[Rate, NoDecode, BeforeValidator(_rate)]
"""A rate written like `10/minute`, `30/hour` or `5/15minutes`."""


def _parse_networks(networks: str) -> list[IPv4Network | IPv6Network]:
    """`10.0.0.0/8, ::1` -> networks (a bare address is a network of one)."""
    return [ip_network(part.strip(), strict=False) for part in networks.split(",") if part.strip()]


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
    guest_token_ttl: int = Field(default=600, gt=0)
    """Seconds a guest's credential (one room, no account) is valid; renewed while in the call."""
    cookie_secure: bool = False
    """Mark the refresh cookie Secure (set it when served over HTTPS)."""

    ice_servers: str = "stun:stun.l.google.com:19302"
    """Comma-separated STUN/TURN URLs handed to clients."""
    turn_secret: SecretStr | None = None
    """coturn `static-auth-secret`: when set, TURN URLs get time-limited credentials."""
    turn_ttl: int = Field(default=3600, gt=0)
    ice_transport_policy: Literal["all", "relay"] = "all"
    """`relay`: media only through the TURN servers, so participants never learn each other's
    addresses (needs a TURN URL in `ice_servers`)."""

    auth_timeout: float = Field(default=5.0, gt=0)
    heartbeat_interval: float = Field(default=20.0, gt=0)
    """Seconds between the server's pings to each socket."""
    heartbeat_timeout: float = Field(default=25.0, gt=0)
    """Seconds of silence after which a socket is closed (checked at each ping, so a dead client
    is noticed within timeout + interval: 45 s at the defaults, as Socket.IO's 25 + 20 s)."""
    max_frame_bytes: int = Field(default=64 * 1024, gt=0)
    """Largest WebSocket message of any type but `sfu-subscribed` (`max_message_bytes`)."""
    max_chat_chars: int = Field(default=4000, gt=0)
    max_room_participants: int = Field(default=12, gt=0)
    send_buffer_bytes: int = Field(default=2 * 1024 * 1024, ge=16 * 1024)
    """Unsent data a client may leave before it counts as stalled and is dropped.

    Checked before each message, so one message larger than this (a `joined` with its history,
    up to about 1.3 MB at the defaults) still reaches a client that reads."""
    chat_rate: float = Field(default=5.0, gt=0)
    chat_burst: int = Field(default=20, gt=0)
    typing_rate: float = Field(default=2.0, gt=0)
    """Typing signals per connection (the web client sends at most one a second)."""
    typing_burst: int = Field(default=10, gt=0)
    signal_rate: float = Field(default=100.0, gt=0)
    signal_burst: int = Field(default=400, gt=0)
    sfu_subscribed_rate: float = Field(default=5.0, gt=0)
    """`sfu-subscribed` answers per connection, apart from the other signals: one answers each
    `sfu-offer`, and each may be as large as `max_message_bytes` to read and check."""
    sfu_subscribed_burst: int = Field(default=20, gt=0)
    join_rate: float = Field(default=1.0, gt=0)
    join_burst: int = Field(default=5, gt=0)
    reaction_rate: float = Field(default=2.0, gt=0)
    reaction_burst: int = Field(default=10, gt=0)
    meeting_action_rate: float = Field(default=2.0, gt=0)
    """Host actions (moderate, admit, deny, lock, end-meeting) and hands, per connection."""
    meeting_action_burst: int = Field(default=20, gt=0)
    admission_ticket_ttl: int = Field(default=3600, gt=0)
    """Seconds an admission ticket (past the lobby and the lock of one meeting) stays valid."""
    reconnect_grace: float = Field(default=30.0, ge=0)
    """Seconds a participant whose socket dropped stays in its room as "reconnecting", for its
    client to resume with the same participant id; 0 leaves at once."""
    rate_limit_strikes: int = Field(default=20, gt=0)
    """Strikes tolerated (per 10 s) before a socket is closed with 4429: refusals the client
    caused, and messages over a rate sent as if the refusals had not come (docs/protocol.md)."""
    join_history: int = Field(default=50, ge=0, le=100)

    # Rate limits against abuse, per client address, account, user or room (README "Limits").
    login_limit_per_address: RateSetting = Rate.parse("30/minute")
    login_limit_per_account: RateSetting = Rate.parse("10/15minutes")
    """Failed log-ins only: a right password gives its attempt back."""
    register_limit_per_address: RateSetting = Rate.parse("30/hour")
    refresh_limit_per_address: RateSetting = Rate.parse("60/minute")
    ice_servers_limit_per_user: RateSetting = Rate.parse("30/minute")
    room_lookup_limit_per_user: RateSetting = Rate.parse("30/minute")
    room_lookup_limit_per_address: RateSetting = Rate.parse("120/minute")
    room_password_limit_per_user: RateSetting = Rate.parse("10/10minutes")
    """Wrong room passwords only, across all of the user's sockets and every instance."""
    room_password_limit_per_room: RateSetting = Rate.parse("30/10minutes")
    """Wrong passwords from users who are neither the room's owner nor have joined it before."""
    room_with_password_limit_per_user: RateSetting = Rate.parse("10/minute")
    """Rooms created with a password (each one a password hash)."""
    password_change_limit_per_user: RateSetting = Rate.parse("5/15minutes")
    """Password changes, right or wrong current password alike (each one a check and a hash)."""
    invite_limit_per_user: RateSetting = Rate.parse("20/day")
    guest_limit_per_address: RateSetting = Rate.parse("10/hour")
    """Guests created through invite links, per client address."""
    member_invite_limit_per_user: RateSetting = Rate.parse("30/hour")
    """Members a room's owner invites by e-mail (each tells whether the e-mail has an account)."""

    # Observability: who may scrape /metrics, and the log format (README, "Deploying").
    metrics_allow: str = "127.0.0.1/32,::1/128"
    """Comma-separated networks whose addresses may scrape /metrics; empty turns /metrics off."""
    metrics_token: SecretStr | None = None
    """When set, a scrape must also carry `Authorization: Bearer <token>`."""
    log_format: Literal["text", "json"] = "text"
    """`json`: one JSON object per log line, with the WebSocket's address, user, room and
    participant on every line about a connection."""

    # Accounts (issue 9): bounded password hashing, sign-up policy
    password_hash_concurrency: int = Field(default=2, gt=0)
    """argon2 hashes or checks (64 MiB and one core each) run at once; the rest wait a turn."""
    password_hash_queue: int = Field(default=32, ge=0)
    """Hashes or checks that may wait for a turn; beyond that, 503 `server_busy` at once."""
    password_hash_wait: float = Field(default=2.0, gt=0)
    """Longest wait (s) for a turn before 503 `server_busy`."""
    signup: Literal["open", "invite", "closed"] = "open"
    """Who may register: anyone, holders of an invite (see `glimpse invite`), nobody."""
    invite_ttl: int = Field(default=7 * 24 * 3600, gt=0)
    """Seconds an invite link stays valid."""

    # Sockets per user, per client address and before authentication (issue 9, sessions)
    max_sockets_per_user: int = Field(default=20, gt=0)
    """WebSockets one user may hold open on one instance (tabs, devices)."""
    max_sockets_per_address: int = Field(default=256, gt=0)
    """WebSockets from one client address on one instance (a NAT can hide a whole office)."""
    max_unauthenticated_sockets: int = Field(default=1000, gt=0)
    """WebSockets of one instance that have not authenticated yet, from all addresses together."""
    max_unauthenticated_sockets_per_address: int = Field(default=16, gt=0)
    """WebSockets from one client address on one instance that have not authenticated yet."""

    # Checks on relayed WebRTC signaling (glimpse/realtime/sdp.py, docs/protocol.md)
    max_sdp_bytes: int = Field(default=32 * 1024, gt=0)
    """A Chromium offer with audio and video is about 5 KB."""
    max_sdp_media_sections: int = Field(default=16, gt=0, le=1024)
    max_candidates_per_negotiation: int = Field(default=64, gt=0)
    """Candidate messages one participant may send another per offer or answer of its own."""

    # The server's edge: connections, proxies, origins (glimpse/edge/)
    request_timeout: float = Field(default=10.0, gt=0)
    """Seconds a connection has to complete its HTTP request or WebSocket handshake."""
    max_connections: int = Field(default=10_000, gt=0)
    """Open TCP connections (HTTP and WebSocket), at most; lowered to fit the file descriptors."""
    fd_reserve: int = Field(default=256, ge=16)
    """File descriptors kept out of the connection cap: database, files, listening sockets."""
    max_websockets: int = Field(default=10_000, gt=0)
    """Open WebSockets, at most; the next handshake gets a 503. Lowered to leave HTTP a share of
    the connections: at most max_connections - max(16, max_connections / 10), and at most half
    of them when max_connections is below 32."""
    trusted_proxies: str = "127.0.0.1,::1"
    """Comma-separated addresses or networks whose X-Forwarded-For/-Proto are believed; `*`: any."""
    allowed_origins: str = ""
    """Comma-separated origins allowed to open /ws (`*`: any); empty: the server's own origin."""

    # Media through the SFU (glimpse/sfu/, docs/architecture.md): Janus's videoroom plugin
    janus_urls: str = ""
    """Comma-separated ws:// URLs of the Janus instances; empty: no SFU, every room is a mesh."""
    janus_api_secret: SecretStr | None = None
    """Janus's `api_secret` (deploy/janus/): every request to Janus carries it."""
    janus_admin_key: SecretStr | None = None
    """The videoroom plugin's `admin_key`: only Glimpse creates rooms."""
    janus_probe_interval: float = Field(default=2.0, gt=0, lt=60)
    """Seconds between the keepalives each instance sends each Janus to check that it answers
    (and to keep its session: Janus drops one silent for 60 s)."""
    janus_probe_timeout: float = Field(default=1.0, gt=0)
    """Seconds a keepalive may wait for its answer (below `janus_probe_interval`)."""
    janus_probe_misses: int = Field(default=2, gt=0)
    """Keepalives unanswered in time, in a row, after which an instance takes a Janus for lost (one
    slow answer is not enough): a hung Janus is noticed within misses x interval + timeout, 5 s
    at the defaults."""
    sfu_threshold: int = Field(default=4, ge=0)
    """A room switches to the SFU when more participants than this send video."""
    sfu_settle: float = Field(default=10.0, ge=0)
    """Seconds no more than `sfu_threshold` must have sent video before a room goes back to the
    mesh."""
    sfu_handover: float = Field(default=10.0, ge=0, le=60)
    """Seconds a room's Janus room stays after the room goes back to the mesh, so that its
    browsers receive through it until their mesh links connect (the web client waits 8 s for
    them); at most 60."""
    sfu_max_participants: int = Field(default=50, gt=0, le=256)
    """Room size while a room's media may go through the SFU (media mode `auto` or `sfu`, with
    an SFU configured); a mesh room stays at `max_room_participants`. It sizes the largest
    `sfu-subscribed` (`max_subscription_sections`); at most 256, the most `sfu-layers` names,
    and 3 sections each keep `sdpMLineIndex` within 1024."""

    # Recording of SFU meetings (glimpse/recordings/, README "Recording")
    recordings_dir: Path | None = None
    """Where finished recordings are kept; empty = `recordings` in `data_dir`."""
    recording_raw_dir: Path | None = None
    """Where Janus writes the raw streams (.mjr) of recordings in progress (each room's `rec_dir`);
    empty = `janus-recordings` in `data_dir`. Janus must write there and Glimpse read it at the same
    path: the same machine, or a volume both mount at that path."""
    recording_retention_days: float = Field(default=30.0, gt=0)
    """Recordings older than this (days since they started) are deleted, file and record, by a
    sweep that runs every hour."""

    @field_validator(
        "secret_key", "turn_secret", "metrics_token", "janus_api_secret", "janus_admin_key"
    )
    @classmethod
    def _strong_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_SECRET_LENGTH:
            raise ValueError(f"a secret must be at least {MIN_SECRET_LENGTH} characters")
        return value

    @model_validator(mode="after")
    def _timeout_after_a_ping(self) -> Settings:
        if self.heartbeat_timeout <= self.heartbeat_interval:  # a live client answers each ping
            raise ValueError("GLIMPSE_HEARTBEAT_TIMEOUT must be above GLIMPSE_HEARTBEAT_INTERVAL")
        return self

    @model_validator(mode="after")
    def _heartbeat_within_ttl(self) -> Settings:
        if self.bus_heartbeat_interval >= self.bus_presence_ttl:
            raise ValueError(
                "GLIMPSE_BUS_HEARTBEAT_INTERVAL must be below GLIMPSE_BUS_PRESENCE_TTL"
            )
        return self

    @model_validator(mode="after")
    def _probe_answered_before_the_next(self) -> Settings:
        if self.janus_probe_timeout >= self.janus_probe_interval:
            raise ValueError(
                "GLIMPSE_JANUS_PROBE_TIMEOUT must be below GLIMPSE_JANUS_PROBE_INTERVAL"
            )
        return self

    @model_validator(mode="after")
    def _relay_has_turn(self) -> Settings:
        if self.ice_transport_policy == "relay" and not any(
            url.startswith(("turn:", "turns:")) for url in self.ice_server_urls
        ):
            raise ValueError(
                "GLIMPSE_ICE_TRANSPORT_POLICY=relay needs a turn: URL in GLIMPSE_ICE_SERVERS"
            )
        return self

    @model_validator(mode="after")
    def _recording_folders_apart(self) -> Settings:
        """The retention sweep deletes leftovers in the recordings and raw folders: neither may
        be the other, hold it, or hold the data folder."""
        recordings = self.resolved_recordings_dir.resolve()
        raw = self.resolved_recording_raw_dir.resolve()
        data = self.data_dir.resolve()
        if recordings.is_relative_to(raw) or raw.is_relative_to(recordings):
            raise ValueError(
                "GLIMPSE_RECORDINGS_DIR and GLIMPSE_RECORDING_RAW_DIR must be separate folders"
            )
        for name, folder in (
            ("GLIMPSE_RECORDINGS_DIR", recordings),
            ("GLIMPSE_RECORDING_RAW_DIR", raw),
        ):
            if data.is_relative_to(folder):
                raise ValueError(f"{name} must not be GLIMPSE_DATA_DIR or a folder above it")
        return self

    @cached_property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'glimpse.db'}"

    @cached_property
    def resolved_recordings_dir(self) -> Path:
        return (self.recordings_dir or self.data_dir / "recordings").absolute()

    @cached_property
    def resolved_recording_raw_dir(self) -> Path:
        """Absolute: Janus, with a working directory of its own, is given this path."""
        return (self.recording_raw_dir or self.data_dir / "janus-recordings").absolute()

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

    @cached_property
    def admission_ticket_key(self) -> bytes:
        """The key admission tickets are signed with: derived from the signing secret, so every
        instance of a cluster (which shares it) accepts the others' tickets."""
        return hmac.new(
            self.signing_secret.encode(), b"glimpse admission tickets", hashlib.sha256
        ).digest()

    @cached_property
    def resume_token_key(self) -> bytes:
        """The key resume tokens are signed with (another derivation of the signing secret, so a
        ticket is never a resume token, nor the other way round)."""
        return hmac.new(
            self.signing_secret.encode(), b"glimpse resume tokens", hashlib.sha256
        ).digest()

    @cached_property
    def download_link_key(self) -> bytes:
        """The key recordings' download links are signed with (another derivation)."""
        return hmac.new(
            self.signing_secret.encode(), b"glimpse download links", hashlib.sha256
        ).digest()

    @field_validator("metrics_allow")
    @classmethod
    def _networks(cls, value: str) -> str:
        _parse_networks(value)  # raises ValueError on a bad network
        return value

    @cached_property
    def metrics_networks(self) -> list[IPv4Network | IPv6Network]:
        return _parse_networks(self.metrics_allow)

    @property
    def janus_url_list(self) -> list[str]:
        return [url.strip() for url in self.janus_urls.split(",") if url.strip()]

    @model_validator(mode="after")
    def _janus_has_secrets(self) -> Settings:
        if self.janus_url_list and (self.janus_api_secret is None or self.janus_admin_key is None):
            raise ValueError(
                "GLIMPSE_JANUS_URLS needs GLIMPSE_JANUS_API_SECRET and GLIMPSE_JANUS_ADMIN_KEY"
            )
        return self

    @cached_property
    def max_subscription_sections(self) -> int:
        """Media sections an `sfu-subscribed` may hold: everyone else's publications."""
        return max(
            self.max_sdp_media_sections,
            self.sfu_max_participants * SUBSCRIBED_SECTIONS_PER_PARTICIPANT,
        )

    @cached_property
    def max_subscription_sdp_bytes(self) -> int:
        """Bytes the SDP of an `sfu-subscribed` may hold."""
        return max(
            self.max_sdp_bytes, self.max_subscription_sections * SUBSCRIBED_BYTES_PER_SECTION
        )

    @cached_property
    def max_message_bytes(self) -> int:
        """The largest WebSocket message read at all (larger ones close the socket with 1009):
        with an SFU, the largest `sfu-subscribed`; other types stay within `max_frame_bytes`,
        checked before they are decoded."""
        if not self.janus_url_list:
            return self.max_frame_bytes
        return max(self.max_frame_bytes, self.max_subscription_sdp_bytes + ENVELOPE_BYTES)

    @property
    def ice_server_urls(self) -> list[str]:
        return [url.strip() for url in self.ice_servers.split(",") if url.strip()]
