/**
 * The people in the room, raised hands first in the order they went up, with their role, media
 * and connection state; for hosts, an actions menu on each other participant.
 */
import type { RemoteParticipant } from "../rtc/Call";
import type { PeerState } from "../rtc/PeerLink";
import { raisedHandsFirst, roleOf } from "../rtc/roles";
import type { ModerationAction, Participant } from "../realtime/protocol";
import { focusHeading } from "../router";
import { HostMenu } from "./HostMenu";
import { RoleBadge } from "./RoleBadge";

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
  onModerate,
}: {
  self: Participant;
  remotes: readonly RemoteParticipant[];
  /** Given to hosts only: each other participant then gets an actions menu. */
  onModerate?: (participantId: string, action: ModerationAction) => void;
}) {
  const peerStates = new Map<string, PeerState>(
    remotes.map((r) => [r.participant.id, r.peerState]),
  );
  const people = raisedHandsFirst([self, ...remotes.map((r) => r.participant)]);
  const owner = roleOf(self) === "host";
  return (
    <section className="side-panel" aria-labelledby="people-title">
      <h2 id="people-title" ref={focusHeading} tabIndex={-1}>
        Participants ({people.length})
      </h2>
      <ul className="people">
        {people.map((participant) => {
          const isSelf = participant.id === self.id;
          const peerState = peerStates.get(participant.id);
          return (
            <li key={participant.id} data-participant={participant.display_name}>
              <strong>
                {participant.display_name}
                {isSelf && " (you)"}
              </strong>{" "}
              <RoleBadge role={roleOf(participant)} />
              {participant.hand != null && (
                <span className="hand" role="img" aria-label="Hand raised">
                  ✋
                </span>
              )}{" "}
              <span className="muted">{mediaText(participant)}</span>{" "}
              {peerState && <span className="badge">{peerState}</span>}
              {onModerate && !isSelf && roleOf(participant) !== "host" && (
                <HostMenu
                  participant={participant}
                  owner={owner}
                  onAction={(action) => onModerate(participant.id, action)}
                />
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
