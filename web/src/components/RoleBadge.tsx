/** The badge beside a name that tells a host, a co-host or a guest apart (members get none). */
import type { Role } from "../realtime/protocol";

const ROLE_TEXT: Record<Role, string | null> = {
  host: "Host",
  cohost: "Co-host",
  guest: "Guest",
  member: null,
};

export function RoleBadge({ role }: { role: Role }) {
  const text = ROLE_TEXT[role];
  if (text === null) return null;
  return (
    <span className={`badge role ${role}`} data-role={role}>
      {text}
    </span>
  );
}
