/** The people in the room, with their media and connection state. */
import type { RemoteParticipant } from "../rtc/Call";
import type { Participant } from "../realtime/protocol";

function mediaText(participant: Participant): string {
  const parts = [
    participant.media.audio ? "mic on" : "muted",
    participant.media.video ? "camera on" : "camera off",
  ];
  if (participant.media.screen) parts.push("sharing screen");
  return parts.join(", ");
}

export function ParticipantsPanel({
  self,
  remotes,
}: {
  self: Participant;
  remotes: readonly RemoteParticipant[];
}) {
  return (
    <section className="side-panel" aria-labelledby="people-title">
      <h2 id="people-title">Participants ({remotes.length + 1})</h2>
      <ul className="people">
        <li>
          <strong>{self.display_name} (you)</strong>{" "}
          <span className="muted">{mediaText(self)}</span>
        </li>
        {remotes.map(({ participant, peerState }) => (
          <li key={participant.id}>
            <strong>{participant.display_name}</strong>{" "}
            <span className="muted">{mediaText(participant)}</span>{" "}
            <span className="badge">{peerState}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
