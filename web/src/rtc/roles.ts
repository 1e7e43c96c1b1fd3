/** Who may do what in a meeting, and the order raised hands are shown in. */
import type { Participant, Role } from "../realtime/protocol";

/** The participant's role; the server leaves out the default one, `member`. */
export function roleOf(participant: Participant): Role {
  return participant.role ?? "member";
}

/** Hosts (the room's owner and its co-hosts) run the meeting: lobby, lock, moderation. */
export function isHost(participant: Participant | null): boolean {
  if (participant === null) return false;
  const role = roleOf(participant);
  return role === "host" || role === "cohost";
}

/** Raised hands first, in the order they went up; then everyone else, in the order given. */
export function raisedHandsFirst(participants: readonly Participant[]): Participant[] {
  const raised = participants
    .filter((p) => p.hand != null)
    .sort((a, b) => (a.hand ?? 0) - (b.hand ?? 0));
  return [...raised, ...participants.filter((p) => p.hand == null)];
}
