/**
 * After the call: why it ended. A host's decision or a deleted room offers no "Rejoin"; signed-in
 * users get their way back to the dashboard, guests (whose credential is for this room only) not.
 */
import type { StopKind } from "../realtime/SignalClient";
import { focusHeading, Link } from "../router";

/** Endings decided by a host or by the room's deletion: rejoining cannot help. */
const FINAL_HEADINGS: Partial<Record<StopKind, string>> = {
  removed: "You were removed from the meeting",
  ended: "The meeting has ended",
  "room-deleted": "This room was deleted",
  denied: "You were not let in",
};

export function CallEnded({
  stop,
  reason,
  rejoinHref,
  isGuest,
}: {
  stop: StopKind | null;
  reason: string | null;
  rejoinHref: string;
  isGuest: boolean;
}) {
  const final = stop === null ? undefined : FINAL_HEADINGS[stop];
  const left = stop === "left";
  const heading = final ?? (left ? "You left the room" : "The call ended");
  return (
    <main className="centered card">
      <h1 ref={focusHeading} tabIndex={-1}>
        {heading}
      </h1>
      {final === undefined && !left && reason && <p role="alert">{reason}</p>}
      <p className="links">
        {final === undefined && <a href={rejoinHref}>Rejoin</a>}
        {!isGuest && <Link href="/">Back to the dashboard</Link>}
      </p>
    </main>
  );
}
