/**
 * The hosts' toolbar buttons: lock or unlock the meeting, start or stop recording it (only while
 * its media goes through the server), end it for everyone (asked first).
 */
import { useState } from "react";

import { Dialog } from "./Dialog";
import { ReasonedButton } from "./ReasonedButton";

/** Why a meeting whose media goes peer to peer cannot be recorded. */
export const NO_RECORDING_IN_MESH =
  "Recording needs the media to go through the server (SFU); this meeting's media goes directly " +
  "between participants.";

export function HostControls({
  locked,
  onLock,
  onEnd,
  recording,
  canRecord,
  onRecord,
}: {
  locked: boolean;
  onLock: (locked: boolean) => void;
  onEnd: () => void;
  recording: boolean;
  /** The media goes through the server (SFU), where it can be recorded. */
  canRecord: boolean;
  onRecord: (active: boolean) => void;
}) {
  const [confirming, setConfirming] = useState(false);
  return (
    <>
      <button type="button" className={locked ? "on" : undefined} onClick={() => onLock(!locked)}>
        {locked ? "Unlock meeting" : "Lock meeting"}
      </button>
      <ReasonedButton
        className={recording ? "on" : undefined}
        // A recording under way can always be stopped.
        disabledReason={canRecord || recording ? undefined : NO_RECORDING_IN_MESH}
        onClick={() => onRecord(!recording)}
      >
        {recording ? "Stop recording" : "Start recording"}
      </ReasonedButton>
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
