"""Admission tickets: bound to one room, person and meeting, signed, and short-lived; resume
tokens, the same over a participant id."""

from __future__ import annotations

import time

import pytest

from glimpse.meetings.tickets import ResumeTokens, Tickets

KEY = b"k" * 32


def test_a_ticket_admits_only_its_holder_to_its_meeting() -> None:
    tickets = Tickets(KEY, ttl=60)
    ticket = tickets.issue("room", "ann", "meeting")
    assert tickets.valid(ticket, "room", "ann", "meeting")
    assert not tickets.valid(ticket, "other room", "ann", "meeting")
    assert not tickets.valid(ticket, "room", "bob", "meeting")
    assert not tickets.valid(ticket, "room", "ann", "next meeting")
    assert not Tickets(b"x" * 32, ttl=60).valid(ticket, "room", "ann", "meeting")


@pytest.mark.parametrize(
    "forged", ["", ".", "abc", "99999999999.", "-1.x", "9" * 400 + ".x", "1.x.y"]
)
def test_forged_tickets_are_refused(forged: str) -> None:
    assert not Tickets(KEY, ttl=60).valid(forged, "room", "ann", "meeting")


def test_a_ticket_expires() -> None:
    expired = Tickets(KEY, ttl=-1).issue("room", "ann", "meeting")
    assert not Tickets(KEY, ttl=60).valid(expired, "room", "ann", "meeting")
    expiry, _, mac = Tickets(KEY, ttl=60).issue("room", "ann", "meeting").partition(".")
    later = f"{int(expiry) + 3600}.{mac}"  # a longer life cannot be written in
    assert int(expiry) > time.time()
    assert not Tickets(KEY, ttl=60).valid(later, "room", "ann", "meeting")


def test_a_resume_token_gives_back_only_its_own_participant_id() -> None:
    tokens = ResumeTokens(KEY)
    token = tokens.issue("room", "ann", "p-ann")
    assert tokens.participant(token, "room", "ann") == "p-ann"
    assert tokens.participant(token, "other room", "ann") is None
    assert tokens.participant(token, "room", "bob") is None
    assert ResumeTokens(b"x" * 32).participant(token, "room", "ann") is None
    _, rest = token.split(".", 1)
    assert tokens.participant(f"p-bob.{rest}", "room", "ann") is None  # another id written in
    assert tokens.participant("", "room", "ann") is None
    assert tokens.participant("p-ann", "room", "ann") is None
