/** A host's actions on one participant: a button opening a menu (mute, remove, co-host…). */
import { useState } from "react";
import type { KeyboardEvent } from "react";

import type { ModerationAction, Participant } from "../realtime/protocol";
import { roleOf } from "../rtc/roles";

const ITEMS: readonly [ModerationAction, string][] = [
  ["mute", "Mute"],
  ["ask-unmute", "Ask to unmute"],
  ["camera-off", "Turn camera off"],
  ["stop-screen", "Stop screen share"],
  ["lower-hand", "Lower hand"],
  ["remove", "Remove from meeting"],
];

export function HostMenu({
  participant,
  owner,
  onAction,
}: {
  participant: Participant;
  /** The room's owner may also make co-hosts and revoke them. */
  owner: boolean;
  onAction: (action: ModerationAction) => void;
}) {
  const [open, setOpen] = useState(false);
  const name = participant.display_name;
  const role = roleOf(participant);
  const items = [...ITEMS];
  if (owner && role === "member") items.push(["make-cohost", "Make co-host"]);
  if (owner && role === "cohost") items.push(["revoke-cohost", "Revoke co-host"]);
  const pick = (action: ModerationAction) => {
    setOpen(false);
    onAction(action);
  };
  const escape = (event: KeyboardEvent) => {
    if (event.key === "Escape") setOpen(false);
  };

  return (
    <span className="host-menu" onKeyDown={escape}>
      <button
        type="button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-label={`Actions for ${name}`}
        onClick={() => setOpen(!open)}
      >
        ⋯
      </button>
      {open && (
        <span className="menu" role="menu" aria-label={`Actions for ${name}`}>
          {items.map(([action, label]) => (
            <button key={action} type="button" role="menuitem" onClick={() => pick(action)}>
              {label}
            </button>
          ))}
        </span>
      )}
    </span>
  );
}
