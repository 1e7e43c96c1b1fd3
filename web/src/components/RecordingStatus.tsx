/**
 * Whether the meeting is recorded, for everyone in it: a live region always present, so that the
 * "Recording" badge appearing is announced once (and its going away is told by a notice).
 */
export function RecordingStatus({ recording }: { recording: boolean }) {
  return (
    <span className="recording-status" role="status">
      {recording && (
        <span className="badge recording" title="A host is recording this meeting">
          <span className="dot" aria-hidden="true" />
          Recording
        </span>
      )}
    </span>
  );
}
