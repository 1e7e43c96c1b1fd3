/** Names for the server's wire schemas, taken from the generated OpenAPI types. */
import type { components } from "./schema.gen";

type Schemas = components["schemas"];

export type User = Schemas["UserPublic"];
export type TokenResponse = Schemas["TokenResponse"];
export type Room = Schemas["RoomPublic"];
export type RoomLists = Schemas["RoomLists"];
export type RoomCreate = Schemas["RoomCreate"];
export type MessagePage = Schemas["MessagePage"];
export type IceServers = Schemas["IceServers"];
export type ErrorBody = Schemas["ErrorBody"];
export type AuthPolicy = Schemas["AuthPolicy"];
export type InvitePublic = Schemas["InvitePublic"];
