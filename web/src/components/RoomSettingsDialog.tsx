/**
 * "Room settings" for the room's owner: name, password (set, change or remove), guests allowed,
 * who asks to join, how the media flows; only what changed is sent (PATCH /api/rooms/{id}). The room's members below.
 */
import { useState } from "react";
import type { FormEvent } from "react";

import { errorMessage } from "../api/errorMessages";
import { useUpdateRoom } from "../api/queries";
import type { LobbyMode, Room, RoomChanges } from "../api/types";
import { Dialog } from "./Dialog";
import { RoomMembers } from "./RoomMembers";
import { ErrorAlert } from "./ErrorAlert";

export const LOBBY_OPTIONS: readonly { value: LobbyMode; label: string }[] = [
  { value: "off", label: "Nobody waits" },
  { value: "guests", label: "Guests" },
  { value: "everyone", label: "Everyone except invited members" },
];

type MediaModeSetting = Room["media_mode"];

export const MEDIA_MODE_OPTIONS: readonly { value: MediaModeSetting; label: string }[] = [
  {
    value: "auto",
    label: "Automatic: direct in small meetings, through the server in larger ones",
  },
  { value: "mesh", label: "Always direct (peer to peer)" },
  { value: "sfu", label: "Always through the server (SFU)" },
];

interface SettingsForm {
  name: string;
  password: string;
  removePassword: boolean;
  allowGuests: boolean;
  lobby: LobbyMode;
  mediaMode: MediaModeSetting;
}

/** The changes the form makes to the room: the fields that differ, a new or removed password. */
export function roomChanges(room: Room, form: SettingsForm): RoomChanges {
  const changes: RoomChanges = {};
  const name = form.name.trim();
  if (name !== room.name) changes.name = name;
  if (form.removePassword) changes.remove_password = true;
  else if (form.password !== "") changes.password = form.password;
  if (form.allowGuests !== room.allow_guests) changes.allow_guests = form.allowGuests;
  if (form.lobby !== room.lobby) changes.lobby = form.lobby;
  if (form.mediaMode !== room.media_mode) changes.media_mode = form.mediaMode;
  return changes;
}

export function RoomSettingsDialog({ room, onClose }: { room: Room; onClose: () => void }) {
  const update = useUpdateRoom(room.id);
  const [form, setForm] = useState<SettingsForm>({
    name: room.name,
    password: "",
    removePassword: false,
    allowGuests: room.allow_guests,
    lobby: room.lobby,
    mediaMode: room.media_mode,
  });
  const set = (changes: Partial<SettingsForm>) =>
    setForm((current) => ({ ...current, ...changes }));

  const save = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const changes = roomChanges(room, form);
    if (Object.keys(changes).length === 0) onClose();
    else update.mutate(changes, { onSuccess: onClose });
  };

  return (
    <Dialog title="Room settings" onClose={onClose}>
      <form onSubmit={save}>
        <label>
          Name
          <input
            value={form.name}
            onChange={(event) => set({ name: event.target.value })}
            required
            maxLength={100}
          />
        </label>
        <label>
          Password
          <input
            type="password"
            autoComplete="new-password"
            value={form.password}
            onChange={(event) => set({ password: event.target.value })}
            disabled={form.removePassword}
            placeholder={room.has_password ? "Unchanged" : "None"}
          />
        </label>
        {room.has_password && (
          <label className="check">
            <input
              type="checkbox"
              checked={form.removePassword}
              onChange={(event) => set({ removePassword: event.target.checked })}
            />
            Remove password
          </label>
        )}
        <label className="check">
          <input
            type="checkbox"
            checked={form.allowGuests}
            onChange={(event) => set({ allowGuests: event.target.checked })}
          />
          Allow guests
        </label>
        <label>
          Ask to join
          <select
            value={form.lobby}
            onChange={(event) => set({ lobby: event.target.value as LobbyMode })}
          >
            {LOBBY_OPTIONS.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Media path
          <select
            value={form.mediaMode}
            onChange={(event) => set({ mediaMode: event.target.value as MediaModeSetting })}
          >
            {MEDIA_MODE_OPTIONS.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        </label>
        <ErrorAlert>{update.error && errorMessage(update.error)}</ErrorAlert>
        <div className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={update.isPending}>
            Save
          </button>
        </div>
      </form>
      <RoomMembers roomId={room.id} />
    </Dialog>
  );
}
