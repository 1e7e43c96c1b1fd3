/**
 * The dashboard: create a room, join by code or link, my rooms (settings, members, recordings,
 * delete) and recent rooms, and invites to sign up when the server's sign-up is invite-only.
 */
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { FormEvent } from "react";

import { errorMessage, fieldErrors } from "../api/errorMessages";
import {
  useAuthPolicy,
  useCreateInvite,
  useCreateRoom,
  useDeleteRecording,
  useDeleteRoom,
  useDownloadRecording,
  useRecordings,
  useRooms,
} from "../api/queries";
import type { Recording, Room } from "../api/types";
import { useAuth, useUser } from "../auth/AuthContext";
import { CopyButton } from "../components/CopyButton";
import { Dialog } from "../components/Dialog";
import { describedBy, FieldProblem } from "../components/FieldProblem";
import { RoomSettingsDialog } from "../components/RoomSettingsDialog";
import { focusHeading, Link, navigate } from "../router";
import { ErrorAlert } from "../components/ErrorAlert";

export function inviteLink(room: Pick<Room, "invite_path">): string {
  return new URL(room.invite_path, window.location.origin).toString();
}

/** A room code from what was typed: a code, or an invite link ending in /r/<code>. */
export function roomCodeFrom(input: string): string {
  const trimmed = input.trim();
  const match = /\/r\/([^/?#]+)/.exec(trimmed);
  return match?.[1] ? decodeURIComponent(match[1]) : trimmed;
}

/** Asks before deleting the room: its history goes, and anyone in it is told it was deleted. */
function DeleteRoomDialog({ room, onClose }: { room: Room; onClose: () => void }) {
  const remove = useDeleteRoom();
  return (
    <Dialog title={`Delete ${room.name}?`} role="alertdialog" onClose={onClose}>
      <p>
        The room, its chat history and its invite link go for good. Anyone in it now is told the
        room was deleted.
      </p>
      <ErrorAlert>{remove.error && errorMessage(remove.error)}</ErrorAlert>
      <div className="actions">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button
          type="button"
          className="danger"
          disabled={remove.isPending}
          onClick={() => remove.mutate(room.id, { onSuccess: onClose })}
        >
          Delete room
        </button>
      </div>
    </Dialog>
  );
}

/** 75.4 -> "1:15", 3725 -> "1:02:05". */
export function formatDuration(seconds: number): string {
  const total = Math.round(seconds);
  const [h, m, s] = [Math.floor(total / 3600), Math.floor(total / 60) % 60, total % 60];
  const mmss = `${String(m).padStart(h ? 2 : 1, "0")}:${String(s).padStart(2, "0")}`;
  return h ? `${h}:${mmss}` : mmss;
}

/** 1234567 -> "1.2 MB". */
export function formatSize(bytes: number): string {
  if (bytes < 1_000_000) return `${Math.max(1, Math.round(bytes / 1000))} kB`;
  if (bytes < 1_000_000_000) return `${(bytes / 1_000_000).toFixed(1)} MB`;
  return `${(bytes / 1_000_000_000).toFixed(2)} GB`;
}

const RECORDING_STATES: Record<Recording["status"], string> = {
  recording: "Recording now",
  processing: "Being made into a file…",
  ready: "Ready",
  failed: "Failed",
};

function RecordingItem({ recording, roomId }: { recording: Recording; roomId: string }) {
  const download = useDownloadRecording();
  const remove = useDeleteRecording(roomId);
  const when = new Date(recording.started_at).toLocaleString();
  const finished = recording.status === "ready" || recording.status === "failed";
  return (
    <li>
      <span>{when}</span>
      {recording.duration_seconds != null && (
        <span>{formatDuration(recording.duration_seconds)}</span>
      )}
      {recording.size_bytes != null && <span>{formatSize(recording.size_bytes)}</span>}
      <span className={recording.status === "failed" ? "badge warn" : "badge"}>
        {RECORDING_STATES[recording.status]}
      </span>
      {recording.error && <span className="muted">{recording.error}</span>}
      {recording.status === "ready" && (
        <button
          type="button"
          disabled={download.isPending}
          onClick={() => download.mutate(recording.id)}
          aria-label={`Download recording of ${when}`}
        >
          Download
        </button>
      )}
      {finished && (
        <button
          type="button"
          disabled={remove.isPending}
          onClick={() => remove.mutate(recording.id)}
          aria-label={`Delete recording of ${when}`}
        >
          Delete
        </button>
      )}
      <ErrorAlert>
        {(download.error && errorMessage(download.error)) ||
          (remove.error && errorMessage(remove.error))}
      </ErrorAlert>
    </li>
  );
}

/** The recordings of one of my rooms, newest first; nothing when it has none. */
function RoomRecordings({ room }: { room: Room }) {
  const recordings = useRecordings(room.id);
  if (recordings.error) return <ErrorAlert>{errorMessage(recordings.error)}</ErrorAlert>;
  if (!recordings.data?.length) return null;
  return (
    <ul className="recording-list" aria-label={`Recordings of ${room.name}`}>
      {recordings.data.map((recording) => (
        <RecordingItem key={recording.id} recording={recording} roomId={room.id} />
      ))}
    </ul>
  );
}

/** The owner's buttons for one room: its settings and members, and deleting it. */
function OwnerActions({ room }: { room: Room }) {
  const [open, setOpen] = useState<"settings" | "delete" | null>(null);
  const close = () => setOpen(null);
  return (
    <>
      <button type="button" onClick={() => setOpen("settings")}>
        Settings for {room.name}
      </button>
      <button type="button" onClick={() => setOpen("delete")}>
        Delete {room.name}
      </button>
      {open === "settings" && <RoomSettingsDialog room={room} onClose={close} />}
      {open === "delete" && <DeleteRoomDialog room={room} onClose={close} />}
    </>
  );
}

function RoomList({
  title,
  rooms,
  empty,
  owned = false,
}: {
  title: string;
  rooms: Room[];
  empty: string;
  owned?: boolean;
}) {
  const headingId = `rooms-${title.replace(/\W+/g, "-").toLowerCase()}`;
  return (
    <section className="card" aria-labelledby={headingId}>
      <h2 id={headingId}>{title}</h2>
      {rooms.length === 0 ? (
        <p className="muted">{empty}</p>
      ) : (
        <ul className="room-list">
          {rooms.map((room) => (
            <li key={room.id}>
              <Link href={room.invite_path}>{room.name}</Link>
              <code>{room.code}</code>
              {room.has_password && <span className="badge">password</span>}
              <CopyButton text={inviteLink(room)} label={`Copy link to ${room.name}`} />
              {owned && <OwnerActions room={room} />}
              {owned && <RoomRecordings room={room} />}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function CreateRoom() {
  const create = useCreateRoom();
  const [created, setCreated] = useState<Room | null>(null);
  const problems = fieldErrors(create.error);
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const password = String(form.get("password") ?? "");
    create.mutate(
      { name: String(form.get("name") ?? ""), ...(password ? { password } : {}) },
      { onSuccess: setCreated },
    );
  };
  return (
    <section className="card" aria-labelledby="create-title">
      <h2 id="create-title">Create a room</h2>
      <form onSubmit={submit} className="inline-form">
        <label>
          Room name
          <input name="name" required maxLength={100} {...describedBy(problems, "name")} />
          <FieldProblem problems={problems} field="name" />
        </label>
        <label>
          Password (optional)
          <input
            name="password"
            type="password"
            autoComplete="new-password"
            {...describedBy(problems, "password")}
          />
          <FieldProblem problems={problems} field="password" />
        </label>
        <button type="submit" className="primary" disabled={create.isPending}>
          Create room
        </button>
      </form>
      <ErrorAlert>{create.error && errorMessage(create.error)}</ErrorAlert>
      {created && (
        <div className="created" role="status">
          <p>
            Room <strong>{created.name}</strong> is ready. Invite link:{" "}
            <a href={created.invite_path}>{inviteLink(created)}</a>
          </p>
          <CopyButton text={inviteLink(created)} label="Copy link to the new room" />
          <Link href={created.invite_path} className="button primary">
            Open room
          </Link>
        </div>
      )}
    </section>
  );
}

function JoinByCode() {
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const code = roomCodeFrom(String(new FormData(event.currentTarget).get("code") ?? ""));
    if (code) navigate(`/r/${encodeURIComponent(code)}`);
  };
  return (
    <section className="card" aria-labelledby="join-title">
      <h2 id="join-title">Join a room</h2>
      <form onSubmit={submit} className="inline-form">
        <label>
          Room code or invite link
          <input name="code" required placeholder="abcd-efgh-ijkl" />
        </label>
        <button type="submit">Join</button>
      </form>
    </section>
  );
}

/** Invite someone to sign up: a link that works for their e-mail address only. */
function InviteSomeone() {
  const invite = useCreateInvite();
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    invite.mutate(String(new FormData(event.currentTarget).get("email") ?? ""));
  };
  const link = invite.data && new URL(invite.data.invite_path, window.location.origin).toString();
  return (
    <section className="card" aria-labelledby="invite-title">
      <h2 id="invite-title">Invite someone to Glimpse</h2>
      <form onSubmit={submit} className="inline-form">
        <label>
          Their e-mail
          <input name="email" type="email" required />
        </label>
        <button type="submit" disabled={invite.isPending}>
          Create invite
        </button>
      </form>
      <ErrorAlert>{invite.error && errorMessage(invite.error)}</ErrorAlert>
      {link && (
        <div className="created" role="status">
          <p>
            Sign-up link: <a href={link}>{link}</a>
          </p>
          <CopyButton text={link} label="Copy link to sign up" />
        </div>
      )}
    </section>
  );
}

export function DashboardPage() {
  const user = useUser();
  const { signOut } = useAuth();
  const queryClient = useQueryClient();
  const rooms = useRooms();
  const policy = useAuthPolicy();
  const logOut = async () => {
    await signOut();
    queryClient.clear();
  };
  return (
    <div className="page">
      <header className="topbar">
        <h1 className="brand" ref={focusHeading} tabIndex={-1}>
          Glimpse
        </h1>
        <span>Signed in as {user.display_name}</span>
        <button type="button" onClick={() => void logOut()}>
          Sign out
        </button>
      </header>
      <main className="dashboard">
        <CreateRoom />
        <JoinByCode />
        {policy.data?.signup === "invite" && <InviteSomeone />}
        {rooms.isPending && <p role="status">Loading rooms…</p>}
        <ErrorAlert>{rooms.error && errorMessage(rooms.error)}</ErrorAlert>
        {rooms.data && (
          <>
            <RoomList
              title="My rooms"
              rooms={rooms.data.owned}
              empty="You have not created a room yet."
              owned
            />
            <RoomList title="Recent rooms" rooms={rooms.data.recent} empty="No rooms joined yet." />
          </>
        )}
      </main>
    </div>
  );
}
