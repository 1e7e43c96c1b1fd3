/** Short messages for the person in the call (a host muted you, the meeting is locked…). */
import type { Notice } from "../rtc/Call";

export function Notices({ notices }: { notices: readonly Notice[] }) {
  return (
    <div className="notices" role="status" aria-live="polite">
      {notices.map((notice) => (
        <p key={notice.id}>{notice.text}</p>
      ))}
    </div>
  );
}
