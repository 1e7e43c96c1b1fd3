/** Names for the server's wire schemas, taken from the generated OpenAPI types. */
import type { RoomPublic } from "./guestContract";
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

// Issue 10's routes, by hand until schema.gen.ts has them (see guestContract.ts).
export type Room = RoomPublic;
export type RoomLists = { owned: Room[]; recent: Room[] };
export type {
  GuestCreate,
  GuestToken,
  LobbyMode,
  Member,
  MemberInvite,
  MemberRole,
  RoomChanges,
  RoomInvite,
} from "./guestContract";

/** What a visit to a room needs of it: the room JSON, or an invite's room for a guest. */
export type CallRoom = Pick<Room, "id" | "name" | "code" | "has_password" | "invite_path">;
