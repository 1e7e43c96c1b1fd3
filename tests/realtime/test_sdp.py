"""The checks on relayed SDP and ICE candidates: real browsers' pass, the rest is refused."""

from __future__ import annotations

import asyncio

import aiortc
import pytest

from glimpse.errors import GlimpseError
from glimpse.realtime.sdp import check_candidate, check_sdp, fingerprint_of
from tests.realtime.fixtures import (
    CHROMIUM_ANSWER,
    CHROMIUM_CANDIDATES,
    CHROMIUM_GATHERED,
    CHROMIUM_OFFER,
)

MAX_BYTES = 32 * 1024
MAX_MEDIA = 16
MAX_CANDIDATES = 64
FINGERPRINT = (
    "a=fingerprint:sha-256 B5:6A:DC:93:16:9E:65:E8:62:8C:F9:12:A2:C5:BB:10:9D:CF:C1:F0:8A:6A:"
    "F1:40:AF:B0:64:05:9A:9A:67:8C"
)


def check(sdp: str) -> int:
    return check_sdp(sdp, MAX_BYTES, MAX_MEDIA, MAX_CANDIDATES)


def refusal(sdp: str) -> str:
    with pytest.raises(GlimpseError) as caught:
        check(sdp)
    assert caught.value.code == "invalid_sdp"
    return caught.value.message


def lines_without(sdp: str, prefix: str) -> str:
    return "".join(line for line in sdp.splitlines(keepends=True) if not line.startswith(prefix))


def test_chromium_offers_and_answers_pass_with_crlf_or_lf() -> None:
    assert FINGERPRINT in CHROMIUM_OFFER
    for sdp, candidates in ((CHROMIUM_OFFER, 0), (CHROMIUM_ANSWER, 0), (CHROMIUM_GATHERED, 2)):
        assert "\r\n" in sdp
        assert check(sdp) == candidates
        assert check(sdp.replace("\r\n", "\n")) == candidates


def test_a_connection_is_known_by_its_dtls_fingerprint() -> None:
    value = FINGERPRINT.removeprefix("a=fingerprint:").lower()
    assert fingerprint_of(CHROMIUM_OFFER) == value
    assert fingerprint_of(CHROMIUM_OFFER.replace("\r\n", "\n")) == value
    other = CHROMIUM_OFFER.replace("B5:6A:DC:93", "B5:6A:DC:94")
    assert fingerprint_of(other) not in (None, value)


def test_aiortc_offers_pass() -> None:
    async def offer() -> str:
        connection = aiortc.RTCPeerConnection()
        connection.addTransceiver("audio")
        connection.addTransceiver("video")
        await connection.setLocalDescription(await connection.createOffer())
        sdp: str = connection.localDescription.sdp
        await connection.close()
        return sdp

    assert check(asyncio.run(offer())) >= 0


@pytest.mark.parametrize(
    ("sdp", "problem"),
    [
        (CHROMIUM_OFFER.replace("v=0", "v=1", 1), "starts with `v=0`"),
        ("o=- 1 2 IN IP4 127.0.0.1\r\nv=0\r\n", "starts with `v=0`"),
        (lines_without(CHROMIUM_OFFER, "o="), "`o=`, `s=` and `t=`"),
        (lines_without(CHROMIUM_OFFER, "s="), "`o=`, `s=` and `t=`"),
        (lines_without(CHROMIUM_OFFER, "t="), "`o=`, `s=` and `t=`"),
        ("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n", "`o=`, `s=` and `t=`"),
        (CHROMIUM_OFFER.replace("o=- ", "o=", 1), "`o=` has six fields"),
        (CHROMIUM_OFFER.replace("s=-", "x=-", 1), "line 3: not an SDP line"),
        (CHROMIUM_OFFER.replace("s=-", "s -", 1), "line 3: not an SDP line"),
        (CHROMIUM_OFFER.replace("\r\ns=-", "\r\n\r\ns=-", 1), "line 3: not an SDP line"),
        (CHROMIUM_OFFER.replace("\r\n", "\n\n", 1), "line 2: not an SDP line"),
        (CHROMIUM_OFFER.replace("o=- ", "m=audio 9 RTP/AVP 0\r\no=- ", 1), "`o=`, `s=` and `t=`"),
        (CHROMIUM_OFFER.replace("s=-", "s=-\r\no=- 1 2 IN IP4 127.0.0.1", 1), "one `o=` line"),
        (CHROMIUM_OFFER.replace("a=mid:0", "a=mid:0\r\na=mid:0", 1),
         "a=mid comes at most once in a section"),
        (CHROMIUM_OFFER.replace("a=ice-ufrag:ii5O", "a=ice-ufrag:ii5O\r\na=ice-ufrag:ii5O", 1),
         "a=ice-ufrag comes at most once in a section"),
        (CHROMIUM_OFFER.replace(FINGERPRINT, (FINGERPRINT + "\r\n") * 3 + FINGERPRINT, 1),
         "at most 3 fingerprints"),
        (CHROMIUM_OFFER.replace("a=mid:0", "a=mid:0\r\na=group:BUNDLE 0", 1),
         "a=group is a session attribute"),
        (CHROMIUM_OFFER.replace("a=group:BUNDLE 0 1", "a=group:BUNDLE 0 1\r\n" * 17, 1),
         "at most 16 groups"),
        (CHROMIUM_OFFER.replace("s=-\r\n", "s=-\rt=0 0\r\n", 1), "lines end in CRLF or LF"),
        (CHROMIUM_OFFER.replace("s=-", "s=\x00", 1), "control characters"),
        (CHROMIUM_OFFER.replace("s=-", "s=\x7f", 1), "control characters"),
        (CHROMIUM_OFFER + "a=\r\n" * 4096, "at most 4096 lines"),
        (CHROMIUM_OFFER + "a=x" * MAX_BYTES, f"at most {MAX_BYTES} bytes"),
        (CHROMIUM_OFFER.replace("m=audio 9 ", "m=audio 70000 ", 1), "at most 65535"),
        (CHROMIUM_OFFER.replace("m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126", "m=audio"),
         "`m=` is `media port proto format…`"),
        (CHROMIUM_OFFER.replace("sha-256", "sha-1"), "a=fingerprint uses one of sha-256"),
        (CHROMIUM_OFFER.replace("B5:6A:", "B5:6AX", 1), "sha-256 fingerprint is 32 hex bytes"),
        (CHROMIUM_OFFER.replace("B5:6A:", "", 1), "sha-256 fingerprint is 32 hex bytes"),
        (CHROMIUM_OFFER.replace("sha-256", "sha-512", 1), "sha-512 fingerprint is 64 hex bytes"),
        (lines_without(CHROMIUM_OFFER, "a=fingerprint"), "media section 0 has no a=fingerprint"),
        (lines_without(CHROMIUM_OFFER, "a=ice-ufrag"), "media section 0 has no a=ice-ufrag"),
        (lines_without(CHROMIUM_OFFER, "a=ice-pwd"), "media section 0 has no a=ice-pwd"),
        (CHROMIUM_OFFER.replace("a=ice-ufrag:ii5O", "a=ice-ufrag:ii5", 1), "a=ice-ufrag is 4 to"),
        (CHROMIUM_OFFER.replace("a=ice-ufrag:ii5O", "a=ice-ufrag:ii 5O", 1),
         "a=ice-ufrag is 4 to 256 letters, digits, `+` or `/`"),
        (CHROMIUM_OFFER.replace("a=ice-ufrag:ii5O", "a=ice-ufrag:" + "u" * 257, 1),
         "a=ice-ufrag is 4 to 256"),
        (CHROMIUM_OFFER.replace("a=ice-pwd:sza6vPaKihuL8DoIqk/4R2qU", "a=ice-pwd:" + "p" * 21),
         "a=ice-pwd is 22 to 256"),
        (CHROMIUM_OFFER.replace("a=setup:actpass", "a=setup:sideways", 1), "a=setup is one of"),
        (CHROMIUM_GATHERED.replace(" typ host", " typ hostile", 1), "a candidate's type is"),
    ],
)  # fmt: skip
def test_malformed_sdp_is_refused_naming_the_problem(sdp: str, problem: str) -> None:
    assert problem in refusal(sdp)


def test_candidates_in_an_sdp_are_capped() -> None:
    line = "a=candidate:1 1 udp 1 10.0.0.1 5000 typ host\r\n"
    assert check(CHROMIUM_OFFER + line * MAX_CANDIDATES) == MAX_CANDIDATES
    with pytest.raises(GlimpseError) as caught:
        check(CHROMIUM_OFFER + line * (MAX_CANDIDATES + 1))
    assert caught.value.code == "too_many_candidates"


def test_media_sections_are_capped() -> None:
    audio = CHROMIUM_OFFER[CHROMIUM_OFFER.index("m=audio") : CHROMIUM_OFFER.index("m=video")]
    assert check(CHROMIUM_OFFER + audio * (MAX_MEDIA - 2)) == 0
    assert f"at most {MAX_MEDIA} media sections" in refusal(
        CHROMIUM_OFFER + audio * (MAX_MEDIA - 1)
    )


def test_transport_may_come_from_the_session_or_the_bundle_group_or_be_absent_when_rejected() -> (
    None
):
    at_session_level = lines_without(CHROMIUM_OFFER, "a=fingerprint").replace(
        "t=0 0\r\n", f"t=0 0\r\n{FINGERPRINT}\r\n"
    )
    assert check(at_session_level) == 0
    first_of_bundle_only = CHROMIUM_OFFER.replace(FINGERPRINT + "\r\n", "", 2).replace(
        "a=setup:actpass\r\na=mid:0", f"{FINGERPRINT}\r\na=setup:actpass\r\na=mid:0"
    )
    assert check(first_of_bundle_only) == 0
    unbundled = first_of_bundle_only.replace("a=group:BUNDLE 0 1", "a=group:BUNDLE 0")
    assert "media section 1 has no a=fingerprint" in refusal(unbundled)
    rejected = unbundled.replace("m=video 9 ", "m=video 0 ")
    assert check(rejected) == 0
    bundle_only = rejected.replace("a=mid:1\r\n", "a=mid:1\r\na=bundle-only\r\n")
    assert "media section 1 has no a=fingerprint" in refusal(bundle_only)


CANDIDATES = [
    *(candidate["candidate"] for candidate in CHROMIUM_CANDIDATES),
    "candidate:1 1 UDP 2122252543 4d2b8ed0-1234-5678-9abc-def012345678.local 54321 typ host",
    "candidate:2 1 tcp 1518280447 192.168.1.2 9 typ host tcptype active generation 0",
    "candidate:842163049 1 udp 1677729535 203.0.113.7 56143 typ srflx raddr 0.0.0.0 rport 0 "
    "generation 0 ufrag sXu2 network-cost 999",
    "candidate:3 2 udp 41885439 2001:db8::1 3478 typ relay raddr 203.0.113.7 rport 56143",
    "candidate:4 1 udp 4294967295 10.0.0.1 65535 typ prflx",
    "",  # the end of a generation of candidates
]


@pytest.mark.parametrize("candidate", CANDIDATES)
def test_browsers_candidates_pass(candidate: str) -> None:
    check_candidate(candidate, "sXu2", 0, MAX_MEDIA)


@pytest.mark.parametrize(
    ("candidate", "problem"),
    [
        ("1 1 udp 1 10.0.0.1 5000 typ host", "starts with `candidate:`"),
        ("candidate:1 1 udp 1 10.0.0.1 5000 typ " + "h" * 1024, "at most 1024 characters"),
        ("candidate:1 1 udp 1 10.0.0.1 5000", "foundation component transport"),
        ("candidate:1 1 udp 1 10.0.0.1 5000 typ host generation", "foundation component"),
        ("candidate:1  1 udp 1 10.0.0.1 5000 typ host", "foundation component"),
        ("candidate:" + "f" * 33 + " 1 udp 1 10.0.0.1 5000 typ host", "foundation is 1 to 32"),
        ("candidate:f-1 1 udp 1 10.0.0.1 5000 typ host", "foundation is 1 to 32"),
        ("candidate:1 0 udp 1 10.0.0.1 5000 typ host", "component is 1 to 256"),
        ("candidate:1 257 udp 1 10.0.0.1 5000 typ host", "component is 1 to 256"),
        ("candidate:1 1 sctp 1 10.0.0.1 5000 typ host", "transport is udp or tcp"),
        ("candidate:1 1 udp 4294967296 10.0.0.1 5000 typ host", "priority is 0 to 4294967295"),
        ("candidate:1 1 udp -1 10.0.0.1 5000 typ host", "priority is 0 to 4294967295"),
        ("candidate:1 1 udp 1 " + "9" * 10_000 + " 5000 typ host", "at most 1024 characters"),
        ("candidate:1 1 udp 1 <img> 5000 typ host", "address is an IP address or a host name"),
        ("candidate:1 1 udp 1 999.1.1.1.1 5000 typ host", "address is an IP address"),
        ("candidate:1 1 udp 1 10.0.0.1 65536 typ host", "port is 0 to 65535"),
        ("candidate:1 1 udp 1 10.0.0.1 5000 type host", "type is `typ` and one of"),
        ("candidate:1 1 udp 1 10.0.0.1 5000 typ evil", "type is `typ` and one of"),
        ("candidate:1 1 udp 1 10.0.0.1 5000 typ srflx raddr x..y rport 1", "raddr is"),
        ("candidate:1 1 udp 1 10.0.0.1 5000 typ srflx raddr 10.0.0.2 rport 99999", "rport is"),
        ("candidate:1 1 udp 1 10.0.0.1 5000 typ host (bad) 1", "`name value` pairs"),
    ],
)  # fmt: skip
def test_malformed_candidates_are_refused_naming_the_problem(candidate: str, problem: str) -> None:
    with pytest.raises(GlimpseError) as caught:
        check_candidate(candidate, None, None, MAX_MEDIA)
    assert caught.value.code == "invalid_candidate"
    assert problem in caught.value.message


def test_a_candidates_username_fragment_and_media_index_are_checked() -> None:
    candidate = CANDIDATES[0]
    for ufrag, index, problem in (
        ("abc", 0, "usernameFragment is 4 to 256"),
        ("ab cd", 0, "usernameFragment is 4 to 256"),
        ("abcd", MAX_MEDIA, f"sdpMLineIndex is below {MAX_MEDIA}"),
    ):
        with pytest.raises(GlimpseError) as caught:
            check_candidate(candidate, ufrag, index, MAX_MEDIA)
        assert (caught.value.code, problem in caught.value.message) == ("invalid_candidate", True)
