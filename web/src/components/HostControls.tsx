/** The hosts' toolbar buttons: lock or unlock the meeting, end it for everyone (asked first). */
import { useState } from "react";

import { Dialog } from "./Dialog";

export function HostControls({
  locked,
  onLock,
  onEnd,
}: {
  locked: boolean;
  onLock: (locked: boolean) => void;
  onEnd: () => void;
}) {
  const [confirming, setConfirming] = useState(false);
  return (
    <>
      <button type="button" className={locked ? "on" : undefined} onClick={() => onLock(!locked)}>
        {locked ? "Unlock meeting" : "Lock meeting"}
      </button>
      <button type="button" className="danger" onClick={() => setConfirming(true)}>
        End meeting for all
      </button>
      {confirming && (
        <Dialog
          title="End the meeting for everyone?"
          role="alertdialog"
          onClose={() => setConfirming(false)}
        >
          <p>Everyone in the call, and everyone waiting to join, is let go. The chat is kept.</p>
          <div className="actions">
            <button type="button" onClick={() => setConfirming(false)}>
              Cancel
            </button>
            <button type="button" className="danger" onClick={onEnd}>
              End meeting
            </button>
          </div>
        </Dialog>
      )}
    </>
  );
}
