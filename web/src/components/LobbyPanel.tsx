/** The hosts' lobby: who waits to be let in, oldest first, each with admit and deny. */
import type { LobbyEntry } from "../realtime/protocol";
import { focusHeading } from "../router";
import { RoleBadge } from "./RoleBadge";

export function LobbyPanel({
  lobby,
  onAdmit,
  onDeny,
}: {
  lobby: readonly LobbyEntry[];
  onAdmit: (id: string) => void;
  onDeny: (id: string) => void;
}) {
  return (
    <section className="side-panel lobby" aria-label="Lobby">
      <h2 ref={focusHeading} tabIndex={-1}>
        Waiting to join ({lobby.length})
      </h2>
      {lobby.length === 0 && <p className="muted">No one is waiting.</p>}
      <ul className="people">
        {lobby.map((entry) => (
          <li key={entry.id}>
            <strong>{entry.display_name}</strong> {entry.guest && <RoleBadge role="guest" />}
            {entry.reason === "removed" && (
              <span className="muted"> (removed from this meeting earlier)</span>
            )}
            <span className="actions">
              <button
                type="button"
                className="primary"
                aria-label={`Admit ${entry.display_name}`}
                onClick={() => onAdmit(entry.id)}
              >
                Admit
              </button>
              <button
                type="button"
                aria-label={`Deny ${entry.display_name}`}
                onClick={() => onDeny(entry.id)}
              >
                Deny
              </button>
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
