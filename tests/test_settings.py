"""Settings refuse weak secrets and networks that are not networks."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from glimpse.settings import Settings


@pytest.mark.parametrize(
    "name", ["secret_key", "turn_secret", "metrics_token", "janus_api_secret", "janus_admin_key"]
)
def test_short_secrets_are_refused(name: str) -> None:
    with pytest.raises(ValidationError, match="at least 32 characters"):
        Settings(**{name: "too-short"})
    assert Settings(**{name: "x" * 32}) is not None


def test_metrics_networks_are_checked_and_parsed() -> None:
    with pytest.raises(ValidationError, match="does not appear to be an IPv4 or IPv6 network"):
        Settings(metrics_allow="10.0.0.0/8, prometheus.internal")
    allowed = Settings(metrics_allow="10.0.0.0/8, 192.168.1.7,").metrics_networks
    assert [str(network) for network in allowed] == ["10.0.0.0/8", "192.168.1.7/32"]
    assert Settings(metrics_allow="").metrics_networks == []


def test_relay_only_media_needs_a_turn_server() -> None:
    with pytest.raises(ValidationError, match="needs a turn: URL"):
        Settings(ice_transport_policy="relay", ice_servers="stun:stun.example.org:3478")
    relay = Settings(ice_transport_policy="relay", ice_servers="turn:turn.example.org:3478")
    assert relay.ice_transport_policy == "relay"


def test_janus_needs_both_secrets_and_none_means_no_sfu() -> None:
    assert Settings().janus_url_list == []
    with pytest.raises(ValidationError, match="GLIMPSE_JANUS_API_SECRET"):
        Settings(janus_urls="ws://10.0.0.5:8188", janus_api_secret="x" * 32)
    both = Settings(
        janus_urls=" ws://10.0.0.5:8188, ws://10.0.0.6:8188 ,",
        janus_api_secret="x" * 32,
        janus_admin_key="y" * 32,
    )
    assert both.janus_url_list == ["ws://10.0.0.5:8188", "ws://10.0.0.6:8188"]


def test_resume_tokens_and_admission_tickets_have_keys_of_their_own() -> None:
    """A ticket is never a resume token (nor the other way round), though both are HMACs of the
    same shape under keys derived from the one secret."""
    settings = Settings(secret_key="s" * 48)
    assert settings.resume_token_key != settings.admission_ticket_key
    assert settings.resume_token_key == Settings(secret_key="s" * 48).resume_token_key


def test_the_heartbeat_timeout_outlasts_an_interval() -> None:
    """A client that answers every ping is silent for about an interval at each visit."""
    with pytest.raises(ValidationError, match="GLIMPSE_HEARTBEAT_TIMEOUT must be above"):
        Settings(heartbeat_interval=20, heartbeat_timeout=20)


@pytest.mark.parametrize(
    ("folders", "refusal"),
    [
        ({"recordings_dir": "/srv/rec", "recording_raw_dir": "/srv/rec"}, "separate folders"),
        ({"recordings_dir": "/srv/rec", "recording_raw_dir": "/srv/rec/raw"}, "separate folders"),
        (
            {
                "data_dir": "/srv/glimpse",
                "recordings_dir": "/srv/glimpse",
                "recording_raw_dir": "/j",
            },
            "GLIMPSE_RECORDINGS_DIR must not be GLIMPSE_DATA_DIR",
        ),
        (
            {"data_dir": "/srv/glimpse/data", "recordings_dir": "/r", "recording_raw_dir": "/srv"},
            "GLIMPSE_RECORDING_RAW_DIR must not be GLIMPSE_DATA_DIR or a folder above it",
        ),
    ],
)
def test_recording_folders_hold_nothing_the_retention_sweep_must_keep(
    folders: dict[str, str], refusal: str
) -> None:
    with pytest.raises(ValidationError, match=refusal):
        Settings(**folders)
    apart = Settings(data_dir="/srv/glimpse", recording_raw_dir="/srv/janus")
    assert apart.resolved_recordings_dir == Path("/srv/glimpse/recordings")


def test_a_janus_probe_is_answered_before_the_next_starts() -> None:
    with pytest.raises(ValidationError, match="GLIMPSE_JANUS_PROBE_TIMEOUT must be below"):
        Settings(janus_probe_interval=2, janus_probe_timeout=2)
    with pytest.raises(ValidationError, match="less than 60"):  # Janus drops a silent session
        Settings(janus_probe_interval=60, janus_probe_timeout=1)
    assert Settings(janus_probe_interval=5, janus_probe_timeout=4).janus_probe_timeout == 4


def test_the_socket_cap_fits_the_largest_subscription_answer_only_with_an_sfu() -> None:
    """49 others' cameras and screens: Chromium's answer measured 112,824 bytes (147 sections)."""
    assert Settings().max_message_bytes == 64 * 1024  # no SFU: one cap for all
    janus = {"janus_urls": "ws://10.0.0.5:8188", "janus_api_secret": "x" * 32,
             "janus_admin_key": "y" * 32}  # fmt: skip
    sfu = Settings(**janus)
    assert sfu.max_subscription_sections == 150
    assert sfu.max_frame_bytes == 64 * 1024 < 112_824 < sfu.max_message_bytes == 151 * 1024
    assert Settings(**janus, sfu_max_participants=4).max_message_bytes == 64 * 1024
    with pytest.raises(ValidationError, match="less than or equal to 256"):
        Settings(sfu_max_participants=257)


def test_a_janus_room_hands_over_for_at_most_a_minute() -> None:
    assert Settings().sfu_handover == 10
    assert Settings(sfu_handover=0).sfu_handover == 0  # destroyed at once
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        Settings(sfu_handover=-1)
    with pytest.raises(ValidationError, match="less than or equal to 60"):  # 60000: milliseconds?
        Settings(sfu_handover=60_000)
