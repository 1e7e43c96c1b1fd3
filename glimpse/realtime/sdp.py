"""Checks on the SDP and ICE candidates a client asks the server to relay to another browser.

Not a full SDP parser (RFC 8866): it reads the lines that matter to a WebRTC session and refuses
what no browser sends, before it reaches another participant. The grammar of the ICE attributes
and candidates is RFC 8839's, that of the DTLS fingerprint RFC 8122's.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

from glimpse.errors import GlimpseError

LINE_TYPES = frozenset("vosiuepcbtrzkam")
"""The SDP line types of RFC 8866 (`k=` obsolete but still allowed)."""
FINGERPRINT_BYTES = {"sha-256": 32, "sha-384": 48, "sha-512": 64}
"""The hashes a DTLS fingerprint may use, and their length."""
SETUP_ROLES = frozenset({"actpass", "active", "passive", "holdconn"})
CANDIDATE_TYPES = frozenset({"host", "srflx", "prflx", "relay"})
TRANSPORTS = frozenset({"udp", "tcp"})
MAX_CANDIDATE_CHARS = 1024
"""A browser's candidate is about 150 characters."""

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ICE_CHARS = re.compile(r"[A-Za-z0-9+/]+")
_TOKEN = re.compile(r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+")
_DIGITS = re.compile(r"[0-9]+")
_HOST_NAME = re.compile(
    r"(?=.{1,253}\.?$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?"
)
_MEDIA = re.compile(r"([a-z]+) ([0-9]{1,5})(?:/[0-9]{1,5})? \S+( \S+)+")


def invalid_sdp(problem: str) -> GlimpseError:
    return GlimpseError(problem, code="invalid_sdp")


def invalid_candidate(problem: str) -> GlimpseError:
    return GlimpseError(problem, code="invalid_candidate")


TRANSPORT_ATTRIBUTES = frozenset({"fingerprint", "ice-ufrag", "ice-pwd"})
"""What a media section needs, of its own, from the session or from its BUNDLE group."""


@dataclass(slots=True)
class _Section:
    """The session, or one media section."""

    rejected: bool = False
    """Port 0 (and not bundle-only): it needs no transport."""
    mid: str | None = None
    transport: set[str] = field(default_factory=set)
    """Which of TRANSPORT_ATTRIBUTES it has."""
    bundles: list[list[str]] = field(default_factory=list)
    """For the session: the mids of each `a=group:BUNDLE`."""


def check_sdp(sdp: str, max_bytes: int, max_media_sections: int) -> int:
    """Refuse an SDP (`invalid_sdp`, naming the first problem); return how many candidates it
    carries."""
    size = len(sdp.encode())
    if size > max_bytes:
        raise invalid_sdp(f"an SDP holds at most {max_bytes} bytes, this one {size}")
    if _CONTROL.search(sdp):
        raise invalid_sdp("an SDP holds no control characters but its line breaks")
    lines = sdp.split("\n")
    if lines[-1] == "":
        lines.pop()  # the last line's break
    session = _Section()
    media: list[_Section] = []
    seen = set[str]()
    candidates = 0
    for number, line in enumerate(lines, 1):
        line = line.removesuffix("\r")
        if len(line) < 2 or line[1] != "=" or line[0] not in LINE_TYPES or "\r" in line:
            raise invalid_sdp(f"line {number} is not an SDP line (`x=value`, then CRLF or LF)")
        kind, value = line[0], line[2:]
        if number == 1 and line != "v=0":
            raise invalid_sdp("an SDP starts with `v=0`")
        seen.add(kind)
        problem = None
        if kind == "o" and len(value.split(" ")) != 6:
            problem = "`o=` has six fields"
        elif kind == "m":
            if not {"o", "s", "t"} <= seen:
                problem = "`o=`, `s=` and `t=` come before the first `m=`"
            elif len(media) == max_media_sections:
                problem = f"an SDP holds at most {max_media_sections} media sections"
            else:
                problem, section = _media_section(value)
                media.append(section)
        elif kind == "a":
            problem = _attribute_problem(value, media[-1] if media else session)
            candidates += value.startswith("candidate:")
        if problem is not None:
            raise invalid_sdp(f"line {number}: {problem}")
    if not {"o", "s", "t"} <= seen:
        raise invalid_sdp("an SDP has `o=`, `s=` and `t=` lines")
    for index, section in enumerate(media):
        missing = TRANSPORT_ATTRIBUTES - _transport_of(section, session, media)
        if missing and not section.rejected:
            raise invalid_sdp(f"media section {index} has no a={min(missing)}")
    return candidates


def _media_section(value: str) -> tuple[str | None, _Section]:
    match = _MEDIA.fullmatch(value)
    if match is None:
        return "`m=` is `media port proto format…`", _Section()
    port = int(match[2])
    if port > 65535:
        return "the port of `m=` is at most 65535", _Section()
    return None, _Section(rejected=port == 0)


def _attribute_problem(value: str, section: _Section) -> str | None:
    name, _, argument = value.partition(":")
    problem = None
    if name in TRANSPORT_ATTRIBUTES:
        section.transport.add(name)
    if name == "fingerprint":
        problem = _fingerprint_problem(argument)
    elif name == "ice-ufrag":
        problem = _ice_chars_problem("a=ice-ufrag", argument, 4)
    elif name == "ice-pwd":
        problem = _ice_chars_problem("a=ice-pwd", argument, 22)
    elif name == "setup" and argument not in SETUP_ROLES:
        problem = f"a=setup is one of {', '.join(sorted(SETUP_ROLES))}"
    elif name == "candidate":
        problem = candidate_problem(argument)
    elif name == "mid":
        section.mid = argument
    elif name == "group" and argument.startswith("BUNDLE"):
        section.bundles.append(argument.split(" ")[1:])
    elif name == "bundle-only":
        section.rejected = False  # port 0 in an offer, yet bundled with a section that is not
    return problem


def _transport_of(section: _Section, session: _Section, media: list[_Section]) -> set[str]:
    """The transport attributes a media section has, of its own or shared."""
    shared = section.transport | session.transport
    for group in session.bundles:
        if section.mid in group:
            for other in media:
                if other.mid in group:
                    shared |= other.transport
    return shared


def _fingerprint_problem(argument: str) -> str | None:
    hash_name, _, hex_value = argument.partition(" ")
    length = FINGERPRINT_BYTES.get(hash_name.lower())
    if length is None:
        return f"a=fingerprint uses one of {', '.join(FINGERPRINT_BYTES)}"
    if not re.fullmatch(f"[0-9A-Fa-f]{{2}}(?::[0-9A-Fa-f]{{2}}){{{length - 1}}}", hex_value):
        return f"a {hash_name} fingerprint is {length} hex bytes separated by colons"
    return None


def _ice_chars_problem(name: str, value: str, shortest: int) -> str | None:
    if not shortest <= len(value) <= 256 or not _ICE_CHARS.fullmatch(value):
        return f"{name} is {shortest} to 256 letters, digits, `+` or `/`"
    return None


def check_candidate(
    candidate: str, username_fragment: str | None, m_line_index: int | None, max_media: int
) -> None:
    """Refuse a trickled candidate (`invalid_candidate`, naming the problem).

    The empty candidate ends a generation of candidates (RFC 8838) and passes."""
    if len(candidate) > MAX_CANDIDATE_CHARS:
        raise invalid_candidate(f"a candidate holds at most {MAX_CANDIDATE_CHARS} characters")
    if candidate and not candidate.startswith("candidate:"):
        raise invalid_candidate("a candidate starts with `candidate:`")
    problem = candidate_problem(candidate.removeprefix("candidate:")) if candidate else None
    if problem is None and username_fragment is not None:
        problem = _ice_chars_problem("usernameFragment", username_fragment, 4)
    if problem is None and m_line_index is not None and m_line_index >= max_media:
        problem = f"sdpMLineIndex is below {max_media}, the most media sections of an SDP"
    if problem is not None:
        raise invalid_candidate(problem)


def candidate_problem(value: str) -> str | None:
    """What is wrong with a candidate attribute's value (after `candidate:`), if anything.

    foundation component transport priority address port `typ` type, then name-value pairs
    (`raddr`, `rport`, `generation`, `ufrag`, `tcptype`, …)."""
    fields = value.split(" ")
    if len(fields) < 8 or len(fields) % 2:
        return "a candidate is `foundation component transport priority address port typ type`"
    foundation, component, transport, priority, address, port, typ, kind = fields[:8]
    if not 1 <= len(foundation) <= 32 or not _ICE_CHARS.fullmatch(foundation):
        return "a candidate's foundation is 1 to 32 letters, digits, `+` or `/`"
    if not _number_within(component, 3, 1, 256):
        return "a candidate's component is 1 to 256"
    if transport.lower() not in TRANSPORTS:
        return "a candidate's transport is udp or tcp"
    if not _number_within(priority, 10, 0, 2**32 - 1):
        return "a candidate's priority is 0 to 4294967295"
    if not _is_address(address):
        return "a candidate's address is an IP address or a host name"
    if not _number_within(port, 5, 0, 65535):
        return "a candidate's port is 0 to 65535"
    if typ != "typ" or kind not in CANDIDATE_TYPES:
        return f"a candidate's type is `typ` and one of {', '.join(sorted(CANDIDATE_TYPES))}"
    for name, argument in zip(fields[8::2], fields[9::2], strict=True):
        if not _TOKEN.fullmatch(name) or not argument:
            return "a candidate's extensions are `name value` pairs"
        if name == "raddr" and not _is_address(argument):
            return "a candidate's raddr is an IP address or a host name"
        if name == "rport" and not _number_within(argument, 5, 0, 65535):
            return "a candidate's rport is 0 to 65535"
    return None


def _number_within(text: str, max_digits: int, low: int, high: int) -> bool:
    return len(text) <= max_digits and bool(_DIGITS.fullmatch(text)) and low <= int(text) <= high


def _is_address(text: str) -> bool:
    """An IP address, or a host name (an mDNS `….local` one from a browser) with a top-level
    label that is not all digits."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        top_level = text.removesuffix(".").rpartition(".")[2]
        return bool(_HOST_NAME.fullmatch(text)) and not top_level.isdigit()
    return True
