"""Meetings: the live session of a room, with its roles, lobby policy, admission tickets and
shared state (meeting id, lock, removed people), kept in the bus for every instance."""
