"""Checks on the SDP and ICE candidates a client asks the server to relay to another browser.

Not a full SDP parser (RFC 8866): it reads the lines that matter to a WebRTC session and refuses
what no browser sends, before it reaches another participant. The grammar of the ICE attributes
and candidates is RFC 8839's, that of the DTLS fingerprint RFC 8122's.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass, field

from glimpse.errors import GlimpseError

FINGERPRINT_BYTES = {"sha-256": 32, "sha-384": 48, "sha-512": 64}
"""The hashes a DTLS fingerprint may use, and their length."""
SETUP_ROLES = frozenset({"actpass", "active", "passive", "holdconn"})
CANDIDATE_TYPES = frozenset({"host", "srflx", "prflx", "relay"})
TRANSPORTS = frozenset({"udp", "tcp"})
MAX_CANDIDATE_CHARS = 1024
"""A browser's candidate is about 150 characters."""
BYTES_PER_LINE = 8
"""An SDP of n bytes holds at most n / 8 lines (4,096 in 32 KiB; a Chromium SDP's lines average
about 35 bytes)."""
MAX_GROUPS = 16
"""`a=group` lines in an SDP (a browser sends one BUNDLE group)."""
TRANSPORT_ATTRIBUTES = frozenset({"fingerprint", "ice-ufrag", "ice-pwd"})
"""What a media section needs, of its own, from the session or from its BUNDLE group."""
ONCE = frozenset({"ice-ufrag", "ice-pwd", "setup", "mid", "bundle-only"})
"""Attributes a section holds at most once (RFC 8839, RFC 8842, RFC 5888, RFC 8843)."""
SESSION_LINES_MISSING = "`o=`, `s=` and `t=` come before the first `m=`"

_CONTROL_BYTES = bytes(sorted(set(range(32)) - {9, 10, 13})) + b"\x7f"
"""Control characters but tab, CR and LF."""
_READ = re.compile(
    r"\n(?:(?![vosiuepcbtrzkam]=)|(m|o)=|"
    r"a=(fingerprint|ice-ufrag|ice-pwd|setup|candidate|mid|group|bundle-only)(?::|(?=\r?\n|\r?$)))"
    r"([^\r\n]*+)"
)
"""After the first line: a line that is not `x=…` with a known type, or one of the lines that
matter, which are read one by one (each may come a bounded number of times)."""
_FIRST_LINE = re.compile(r"v=0\r?(?:\n|$)")
_SESSION_LINES = [re.compile(f"\n{kind}=") for kind in "ost"]
_ICE_CHARS = re.compile(r"[A-Za-z0-9+/]+")
_TOKEN = re.compile(r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+")
_DIGITS = re.compile(r"[0-9]+")
_HOST_NAME = re.compile(
    r"(?=.{1,253}\.?$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?"
)
_MEDIA = re.compile(r"([a-z]+) ([0-9]{1,5})(?:/[0-9]{1,5})? \S+( \S+)+")
_FINGERPRINT = re.compile(r"^a=fingerprint:([^\r\n]*)", re.MULTILINE)


def invalid_sdp(problem: str) -> GlimpseError:
    return GlimpseError(problem, code="invalid_sdp")


def invalid_candidate(problem: str) -> GlimpseError:
    return GlimpseError(problem, code="invalid_candidate")


def too_many_candidates(limit: int) -> GlimpseError:
    return GlimpseError(
        f"at most {limit} candidates go to one participant per offer or answer",
        code="too_many_candidates",
    )


@dataclass(slots=True)
class _Section:
    """The session, or one media section."""

    rejected: bool = False
    """Port 0 (and not bundle-only): it needs no transport."""
    mid: str | None = None
    attributes: set[str] = field(default_factory=set)
    """The names of the attributes read in it (and `o`, in the session, once its `o=` is)."""
    fingerprints: int = 0
    bundles: list[list[str]] = field(default_factory=list)
    """For the session: the mids of each `a=group:BUNDLE`."""


def check_sdp(sdp: str, max_bytes: int, max_media_sections: int, max_candidates: int) -> int:
    """Refuse an SDP (`invalid_sdp` naming the first problem, or `too_many_candidates`); return
    how many candidates it carries.

    The text is scanned in C (bytes methods, regular expressions): only the lines that matter
    are read in Python, each a bounded number of times, so a check takes a bounded time.
    """
    raw = sdp.encode()
    if len(raw) > max_bytes:
        raise invalid_sdp(f"an SDP holds at most {max_bytes} bytes, this one {len(raw)}")
    max_lines = max_bytes // BYTES_PER_LINE
    if raw.count(b"\n") > max_lines:
        raise invalid_sdp(f"an SDP holds at most {max_lines} lines")
    if len(raw.translate(None, _CONTROL_BYTES)) != len(raw):
        raise invalid_sdp("an SDP holds no control characters but tabs and line breaks")
    if raw.count(b"\r") != raw.count(b"\r\n"):
        raise invalid_sdp("an SDP's lines end in CRLF or LF")
    if not _FIRST_LINE.match(sdp):
        raise invalid_sdp("an SDP starts with `v=0`")
    text = sdp.removesuffix("\n")  # the last line's break
    session = _Section()
    media: list[_Section] = []
    candidates = 0
    for line in _READ.finditer(text):
        kind, name, value = line.groups()
        problem = None
        if kind is None and name is None:
            problem = "not an SDP line (`x=value` with a known type)"
        elif kind == "o":
            problem = _origin_problem(value, session)
        elif kind == "m":
            if not media and not _has_session_lines(text[: line.start()]):
                raise invalid_sdp(SESSION_LINES_MISSING)
            if len(media) == max_media_sections:
                problem = f"an SDP holds at most {max_media_sections} media sections"
            else:
                problem, section = _media_section(value)
                media.append(section)
        else:
            candidates += name == "candidate"
            if candidates > max_candidates:
                raise too_many_candidates(max_candidates)
            problem = _attribute_problem(name, value, media[-1] if media else session, media)
        if problem is not None:
            number = text.count("\n", 0, line.start()) + 2  # the line after this line break
            raise invalid_sdp(f"line {number}: {problem}")
    if not media and not _has_session_lines(text):
        raise invalid_sdp(SESSION_LINES_MISSING)
    bundled = _bundled_transports(session, media)
    for index, section in enumerate(media):
        shared = bundled.get(section.mid, set()) if section.mid is not None else set()
        missing = TRANSPORT_ATTRIBUTES - section.attributes - session.attributes - shared
        if missing and not section.rejected:
            raise invalid_sdp(f"media section {index} has no a={min(missing)}")
    return candidates


def _has_session_lines(session_text: str) -> bool:
    return all(line.search(session_text) for line in _SESSION_LINES)


def _origin_problem(value: str, session: _Section) -> str | None:
    if "o" in session.attributes:
        return "an SDP has one `o=` line"
    session.attributes.add("o")
    if len(value.split(" ")) != 6:
        return "`o=` has six fields"
    return None


def _media_section(value: str) -> tuple[str | None, _Section]:
    match = _MEDIA.fullmatch(value)
    if match is None:
        return "`m=` is `media port proto format…`", _Section()
    port = int(match[2])
    if port > 65535:
        return "the port of `m=` is at most 65535", _Section()
    return None, _Section(rejected=port == 0)


def _attribute_problem(
    name: str, argument: str, section: _Section, media: list[_Section]
) -> str | None:
    if name in ONCE and name in section.attributes:
        return f"a={name} comes at most once in a section"
    section.attributes.add(name)
    if name == "fingerprint":
        section.fingerprints += 1
        if section.fingerprints > len(FINGERPRINT_BYTES):
            return f"a section has at most {len(FINGERPRINT_BYTES)} fingerprints"
        return _fingerprint_problem(argument)
    if name == "ice-ufrag":
        return _ice_chars_problem("a=ice-ufrag", argument, 4)
    if name == "ice-pwd":
        return _ice_chars_problem("a=ice-pwd", argument, 22)
    if name == "setup" and argument not in SETUP_ROLES:
        return f"a=setup is one of {', '.join(sorted(SETUP_ROLES))}"
    if name == "candidate":
        return candidate_problem(argument)
    if name == "mid":
        section.mid = argument
    elif name == "group":
        if media:
            return "a=group is a session attribute"
        if len(section.bundles) == MAX_GROUPS:
            return f"an SDP has at most {MAX_GROUPS} groups"
        if argument.startswith("BUNDLE "):
            section.bundles.append(argument.split(" ")[1:])
    elif name == "bundle-only":
        section.rejected = False  # port 0 in an offer, yet bundled with a section that is not
    return None


def _bundled_transports(session: _Section, media: list[_Section]) -> dict[str, set[str]]:
    """The transport attributes each mid shares with the sections of its BUNDLE groups (in one
    pass over the sections and one over the groups: an answer of hundreds of sections, all in one
    group, is checked in linear time)."""
    of_mid: dict[str, set[str]] = {}
    for section in media:
        if section.mid is not None:
            of_mid.setdefault(section.mid, set()).update(section.attributes & TRANSPORT_ATTRIBUTES)
    bundled: dict[str, set[str]] = {}
    for group in session.bundles:
        shared = set().union(*(of_mid.get(mid, ()) for mid in group))
        for mid in group:
            bundled.setdefault(mid, set()).update(shared)
    return bundled


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


def fingerprint_of(sdp: str) -> str | None:
    """The first DTLS fingerprint of a checked SDP: the certificate of the peer connection that
    made it (a browser makes one per connection), so a new one means a new connection."""
    found = _FINGERPRINT.search(sdp)
    return found.group(1).strip().lower() if found else None


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


@functools.lru_cache(maxsize=4096)  # a client's candidates repeat its few addresses
def _is_address(text: str) -> bool:
    """An IP address, or a host name (an mDNS `….local` one from a browser) with a top-level
    label that is not all digits."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        top_level = text.removesuffix(".").rpartition(".")[2]
        return bool(_HOST_NAME.fullmatch(text)) and not top_level.isdigit()
    return True
