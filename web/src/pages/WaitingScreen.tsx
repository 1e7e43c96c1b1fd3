/** In the lobby: nothing of the room yet, until a host lets this person in (or does not). */
import type { Waiting } from "../realtime/protocol";
import { focusHeading } from "../router";

export function WaitingScreen({
  roomName,
  reason,
  onLeave,
}: {
  roomName: string;
  reason: Waiting["reason"] | null;
  onLeave: () => void;
}) {
  return (
    <main className="centered card waiting">
      <h1 ref={focusHeading} tabIndex={-1}>
        Waiting to be let in
      </h1>
      <p>{roomName}</p>
      <p role="status">A host will let you in soon.</p>
      {reason === "removed" && (
        <p className="muted">
          You were removed from this meeting earlier: a host decides whether you may come back.
        </p>
      )}
      <button type="button" onClick={onLeave}>
        Leave
      </button>
    </main>
  );
}
