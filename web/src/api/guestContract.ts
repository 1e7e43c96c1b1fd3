/**
 * Wire types of issue 10's HTTP API (guests, room settings, members), written by hand from the
 * brief until `make web-types` regenerates schema.gen.ts with them. Then `types.ts` takes each
 * from `components["schemas"]` instead (the server's schema names are in brackets below) and this
 * module goes. The generator makes a field with a server default required, so RoomChanges becomes
 * `Partial<Schemas["RoomSettings"]>`.
 */
import type { components } from "./schema.gen";

/** Who waits in the lobby: nobody, guests, or everyone but the owner, co-hosts and invited members. */
export type LobbyMode = "off" | "guests" | "everyone";

/** The room JSON: the generated RoomPublic with the settings issue 10 adds [RoomPublic]. */
export type RoomPublic = components["schemas"]["RoomPublic"] & {
  allow_guests: boolean;
  lobby: LobbyMode;
};

/** GET /api/invites/{code}: what the invite link shows before anyone signs in [InviteInfo]. */
export interface RoomInvite {
  room: {
    id: string;
    name: string;
    code: string;
    has_password: boolean;
    allow_guests: boolean;
    lobby: LobbyMode;
  };
  owner_name: string;
}

/** POST /api/invites/{code}/guests [GuestCreate]. */
export interface GuestCreate {
  display_name: string;
}

/** POST /api/invites/{code}/guests and /api/guests/renew: a credential for one room [GuestCredential]. */
export interface GuestToken {
  token: string;
  expires_in: number;
  guest_id: string;
  room_id: string;
  /** The name as the server keeps it (beyond the brief's contract; the server sends it). */
  display_name: string;
}

/** PATCH /api/rooms/{id}: only the fields present change [RoomSettings]. */
export interface RoomChanges {
  name?: string;
  password?: string;
  remove_password?: boolean;
  allow_guests?: boolean;
  lobby?: LobbyMode;
}

export type MemberRole = "member" | "invited" | "cohost";

/** GET /api/rooms/{id}/members (the owner is not listed) and PUT …/members/{user_id} [MemberPublic]. */
export interface Member {
  user_id: string;
  display_name: string;
  role: MemberRole;
  last_joined_at: string | null;
}

/** POST /api/rooms/{id}/members: invite an existing user by e-mail [MemberInvite]. */
export interface MemberInvite {
  email: string;
  role: MemberRole;
}
