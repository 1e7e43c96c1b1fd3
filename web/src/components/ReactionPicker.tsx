/** The toolbar's "Reactions" button and the emoji it opens. */
import { useState } from "react";

import { EMOJIS } from "../realtime/protocol";
import type { Emoji } from "../realtime/protocol";

export function ReactionPicker({ onReact }: { onReact: (emoji: Emoji) => void }) {
  const [open, setOpen] = useState(false);
  return (
    <span className="reaction-picker">
      <button type="button" aria-expanded={open} onClick={() => setOpen(!open)}>
        Reactions
      </button>
      {open && (
        <span className="menu" role="group" aria-label="Reactions">
          {EMOJIS.map((emoji) => (
            <button
              key={emoji}
              type="button"
              aria-label={`React ${emoji}`}
              onClick={() => {
                setOpen(false);
                onReact(emoji);
              }}
            >
              {emoji}
            </button>
          ))}
        </span>
      )}
    </span>
  );
}
