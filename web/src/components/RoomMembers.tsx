/**
 * The room's members for its owner: each with a role (member; invited, who skips the lobby;
 * co-host, who also runs the meeting), and inviting someone who has an account by their e-mail.
 */
import { useState } from "react";
import type { FormEvent } from "react";

import { errorMessage } from "../api/errorMessages";
import { useInviteMember, useMembers, useSetMemberRole } from "../api/queries";
import type { Member, MemberRole } from "../api/types";
import { ErrorAlert } from "./ErrorAlert";

export const ROLE_OPTIONS: readonly { value: MemberRole; label: string }[] = [
  { value: "member", label: "Member" },
  { value: "invited", label: "Invited" },
  { value: "cohost", label: "Co-host" },
];

function lastJoined(member: Member): string {
  return member.last_joined_at === null
    ? "Has not joined yet"
    : `Last joined ${new Date(member.last_joined_at).toLocaleDateString()}`;
}

function MemberRow({ roomId, member }: { roomId: string; member: Member }) {
  const setRole = useSetMemberRole(roomId);
  return (
    <li>
      <span>{member.display_name}</span>
      <span className="muted">{lastJoined(member)}</span>
      <select
        aria-label={`Role of ${member.display_name}`}
        value={setRole.isPending ? setRole.variables.role : member.role}
        disabled={setRole.isPending}
        onChange={(event) =>
          setRole.mutate({ userId: member.user_id, role: event.target.value as MemberRole })
        }
      >
        {ROLE_OPTIONS.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
      <ErrorAlert>{setRole.error && errorMessage(setRole.error)}</ErrorAlert>
    </li>
  );
}

function InviteMember({ roomId }: { roomId: string }) {
  const invite = useInviteMember(roomId);
  const [email, setEmail] = useState("");
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    invite.mutate({ email: email.trim(), role: "invited" }, { onSuccess: () => setEmail("") });
  };
  return (
    <form onSubmit={submit} className="inline-form">
      <label>
        Invite by e-mail
        <input
          type="email"
          value={email}
          onChange={(event) => setEmail(event.target.value)}
          required
        />
      </label>
      <button type="submit" disabled={invite.isPending}>
        Invite
      </button>
      <ErrorAlert>{invite.error && errorMessage(invite.error)}</ErrorAlert>
      {invite.data && !invite.isPending && (
        <p role="status">{`${invite.data.display_name} is invited`}</p>
      )}
    </form>
  );
}

export function RoomMembers({ roomId }: { roomId: string }) {
  const members = useMembers(roomId);
  return (
    <section aria-labelledby={`members-${roomId}`}>
      <h3 id={`members-${roomId}`}>Members</h3>
      <p className="muted">
        Invited members and co-hosts never wait in the lobby; co-hosts also run the meeting.
      </p>
      {members.isPending && <p role="status">Loading members…</p>}
      <ErrorAlert>{members.error && errorMessage(members.error)}</ErrorAlert>
      {members.data?.length === 0 && <p className="muted">Nobody has joined this room yet.</p>}
      {members.data && members.data.length > 0 && (
        <ul className="member-list">
          {members.data.map((member) => (
            <MemberRow key={member.user_id} roomId={roomId} member={member} />
          ))}
        </ul>
      )}
      <InviteMember roomId={roomId} />
    </section>
  );
}
