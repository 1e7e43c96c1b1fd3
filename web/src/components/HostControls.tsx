/** The hosts' toolbar buttons: lock or unlock the meeting, end it for everyone. */
export function HostControls({
  locked,
  onLock,
  onEnd,
}: {
  locked: boolean;
  onLock: (locked: boolean) => void;
  onEnd: () => void;
}) {
  return (
    <>
      <button type="button" className={locked ? "on" : undefined} onClick={() => onLock(!locked)}>
        {locked ? "Unlock meeting" : "Lock meeting"}
      </button>
      <button type="button" className="danger" onClick={onEnd}>
        End meeting for all
      </button>
    </>
  );
}
