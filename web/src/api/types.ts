/** Names for the server's wire schemas, taken from the generated OpenAPI types. */
import type { components } from "./schema.gen";

type Schemas = components["schemas"];

export type User = Schemas["UserPublic"];
export type TokenResponse = Schemas["TokenResponse"];
export type RoomCreate = Schemas["RoomCreate"];
export type MessagePage = Schemas["MessagePage"];
export type IceServers = Schemas["IceServers"];
export type ErrorBody = Schemas["ErrorBody"];
export type AuthPolicy = Schemas["AuthPolicy"];
export type InvitePublic = Schemas["InvitePublic"];

export type Room = Schemas["RoomPublic"];
/** A room looked up to join it, with whether its meeting is being recorded now (null: unknown). */
export type RoomLookup = Schemas["RoomLookup"];
export type RoomLists = Schemas["RoomLists"];
export type LobbyMode = Room["lobby"];
/** An invite link's room and its owner, shown before anyone signs in. */
export type RoomInvite = Schemas["InviteInfo"];
export type GuestCreate = Schemas["GuestCreate"];
/** A guest's credential for one room. */
export type GuestToken = Schemas["GuestCredential"];
/** PATCH /api/rooms/{id}: only the fields present change. */
export type RoomChanges = Partial<Schemas["RoomSettings"]>;
export type Member = Schemas["MemberPublic"];
export type MemberRole = Member["role"];
export type MemberInvite = Schemas["MemberInvite"];
/** A recording of one of the room's meetings (owner only). */
export type Recording = Schemas["RecordingPublic"];
export type DownloadLink = Schemas["DownloadLink"];

/** What a visit to a room needs of it: the room looked up, or an invite's room for a guest. */
export type CallRoom = Pick<
  RoomLookup,
  "id" | "name" | "code" | "has_password" | "invite_path" | "recording"
>;
