/**
 * The API service: typed calls to the HTTP API under /api.
 *
 * The access token lives in memory only; the refresh token is an httpOnly cookie the page cannot
 * read, set together with a readable marker (`glimpse_session`) that says there is one. A 401
 * triggers one silent refresh and a retry; if that fails too, `onSignedOut` runs once.
 */
import type {
  AuthPolicy,
  DownloadLink,
  ErrorBody,
  GuestToken,
  IceServers,
  InvitePublic,
  Member,
  MemberInvite,
  MemberRole,
  MessagePage,
  Recording,
  Room,
  RoomChanges,
  RoomCreate,
  RoomInvite,
  RoomLists,
  RoomLookup,
  TokenResponse,
  User,
} from "./types";

/** The Web Lock that serializes refreshes across this origin's tabs. */
const REFRESH_LOCK = "glimpse-refresh";
/** The cookie the server sets beside the refresh cookie, readable by the page (no secret). */
const SESSION_MARKER = "glimpse_session";

/** Whether the server set a refresh cookie that has not been found invalid since. */
export function hasSessionMarker(): boolean {
  return document.cookie.split("; ").some((cookie) => cookie.startsWith(`${SESSION_MARKER}=`));
}

function clearSessionMarker(): void {
  document.cookie = `${SESSION_MARKER}=; Max-Age=0; Path=/; SameSite=Strict`;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** Seconds to wait before trying again, when the server said (`Retry-After`). */
  readonly retryAfter: number | null;
  /** For `validation_error`: what is wrong with each field, by its name. */
  readonly fields: Readonly<Record<string, string>>;

  constructor(
    status: number,
    code: string,
    message: string,
    retryAfter: number | null = null,
    fields: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
    this.fields = fields;
  }
}

/** The server could not be reached at all (`fetch` failed: offline, server down, DNS). */
export class NetworkError extends Error {
  constructor() {
    super("Glimpse can't reach the server, retrying…");
  }
}

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** A bearer token for a request; `fresh` asks for a renewed one after the server answered 401. */
export type TokenSource = (fresh: boolean) => Promise<string>;

/** A request's credentials: a token source (retried once on 401), one fixed token, or none. */
type Bearer = TokenSource | string | null;

/** A readable message for an error response without a JSON body (a proxy's 502, 503, 429…). */
function messageForStatus(status: number): string {
  if (status === 429) return "Too many attempts; try again shortly";
  if (status === 503) return "The server is busy or unavailable; try again shortly";
  return `The server answered ${status}`;
}

/** `Retry-After` in seconds (the HTTP-date form is not used by the server). */
function retryAfterOf(response: Response): number | null {
  const value = response.headers.get("Retry-After");
  const seconds = value === null || value.trim() === "" ? NaN : Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : null;
}

async function errorOf(response: Response): Promise<ApiError> {
  const retryAfter = retryAfterOf(response);
  try {
    const body = (await response.json()) as Partial<ErrorBody>;
    if (body.error) {
      const { code, message, fields } = body.error;
      return new ApiError(response.status, code, message, retryAfter, fields ?? {});
    }
  } catch {
    // not JSON: fall through to a message by status
  }
  return new ApiError(response.status, "http_error", messageForStatus(response.status), retryAfter);
}

export class ApiClient {
  private accessToken: string | null = null;
  private refreshing: Promise<TokenResponse> | null = null;
  private readonly sessionListeners = new Set<(session: TokenResponse | null) => void>();

  /** Called with every new session (sign-in, refresh) and with null when signed out. */
  onSession(listener: (session: TokenResponse | null) => void): () => void {
    this.sessionListeners.add(listener);
    return () => this.sessionListeners.delete(listener);
  }

  private setSession(session: TokenResponse | null): void {
    this.accessToken = session?.access_token ?? null;
    for (const listener of this.sessionListeners) listener(session);
  }

  /** A valid access token, refreshing it first when there is none. */
  async token(): Promise<string> {
    return this.accessToken ?? (await this.refresh()).access_token;
  }

  /** The signed-in user's token source: `fresh` refreshes it first. */
  readonly userToken: TokenSource = async (fresh) =>
    fresh ? (await this.refresh()).access_token : this.token();

  /**
   * Exchange the refresh cookie for a new access token; concurrent callers share one request.
   * Tabs share the cookie, and a refresh token presented twice revokes the session, so tabs take
   * turns through a Web Lock: the next tab's request then carries the cookie the last one set.
   */
  refresh(): Promise<TokenResponse> {
    const request = () => this.send<TokenResponse>("POST", "/auth/refresh", undefined, null);
    const locks = typeof navigator === "undefined" ? undefined : navigator.locks;
    this.refreshing ??= (locks ? locks.request(REFRESH_LOCK, request) : request())
      .then(
        (session) => {
          this.setSession(session);
          return session;
        },
        (error: unknown) => {
          if (error instanceof ApiError && error.status === 401) {
            clearSessionMarker();
            this.setSession(null);
          }
          throw error;
        },
      )
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  }

  /** Sign up; `invite` (from an invite link) is needed when sign-up is invite-only. */
  async register(
    email: string,
    displayName: string,
    password: string,
    invite?: string,
  ): Promise<TokenResponse> {
    const session = await this.send<TokenResponse>(
      "POST",
      "/auth/register",
      { email, display_name: displayName, password, ...(invite ? { invite } : {}) },
      null,
    );
    this.setSession(session);
    return session;
  }

  async logIn(email: string, password: string): Promise<TokenResponse> {
    const session = await this.send<TokenResponse>(
      "POST",
      "/auth/login",
      { email, password },
      null,
    );
    this.setSession(session);
    return session;
  }

  async logOut(): Promise<void> {
    try {
      await this.send<undefined>("POST", "/auth/logout", undefined, null);
    } finally {
      this.setSession(null);
    }
  }

  /** Who may sign up on this server: anyone, invitees, nobody. */
  authPolicy(): Promise<AuthPolicy> {
    return this.send("GET", "/auth/policy", undefined, null);
  }

  /** An invite link for one e-mail address. */
  createInvite(email: string): Promise<InvitePublic> {
    return this.send("POST", "/auth/invites", { email });
  }

  me(): Promise<User> {
    return this.send("GET", "/users/me");
  }

  listRooms(): Promise<RoomLists> {
    return this.send("GET", "/rooms");
  }

  createRoom(body: RoomCreate): Promise<Room> {
    return this.send("POST", "/rooms", body);
  }

  roomByCode(code: string): Promise<RoomLookup> {
    return this.send("GET", `/rooms/by-code/${encodeURIComponent(code)}`);
  }

  /** The room by id (not rate-limited, unlike a code's lookup), for a signed-in user. */
  room(roomId: string): Promise<RoomLookup> {
    return this.send("GET", `/rooms/${encodeURIComponent(roomId)}`);
  }

  /** A page of a room's history, newest first; `before` is a seq from the previous page. */
  messages(roomId: string, before?: number, limit = 50): Promise<MessagePage> {
    const query = new URLSearchParams({ limit: String(limit) });
    if (before !== undefined) query.set("before", String(before));
    return this.send("GET", `/rooms/${encodeURIComponent(roomId)}/messages?${query}`);
  }

  /** TURN/STUN servers, for the user or for a guest (`token`: the call's token source). */
  iceServers(token: TokenSource = this.userToken): Promise<IceServers> {
    return this.send("GET", "/ice-servers", undefined, token);
  }

  updateRoom(roomId: string, changes: RoomChanges): Promise<Room> {
    return this.send("PATCH", `/rooms/${encodeURIComponent(roomId)}`, changes);
  }

  deleteRoom(roomId: string): Promise<void> {
    return this.send("DELETE", `/rooms/${encodeURIComponent(roomId)}`);
  }

  /** The room's members, the owner left out (owner only). */
  members(roomId: string): Promise<Member[]> {
    return this.send("GET", `/rooms/${encodeURIComponent(roomId)}/members`);
  }

  setMemberRole(roomId: string, userId: string, role: MemberRole): Promise<Member> {
    const path = `/rooms/${encodeURIComponent(roomId)}/members/${encodeURIComponent(userId)}`;
    return this.send("PUT", path, { role });
  }

  /** Make an existing user a member of the room by their e-mail (`user_not_found` if none). */
  inviteMember(roomId: string, invite: MemberInvite): Promise<Member> {
    return this.send("POST", `/rooms/${encodeURIComponent(roomId)}/members`, invite);
  }

  /** The room's recordings, newest first (owner only). */
  recordings(roomId: string): Promise<Recording[]> {
    return this.send("GET", `/rooms/${encodeURIComponent(roomId)}/recordings`);
  }

  /** A link that downloads the recording's file for a minute, without a token (owner only). */
  recordingLink(recordingId: string): Promise<DownloadLink> {
    return this.send("POST", `/recordings/${encodeURIComponent(recordingId)}/link`);
  }

  deleteRecording(recordingId: string): Promise<void> {
    return this.send("DELETE", `/recordings/${encodeURIComponent(recordingId)}`);
  }

  /** What an invite link shows to anyone: the room and its owner's name. */
  roomInvite(code: string): Promise<RoomInvite> {
    return this.send("GET", `/invites/${encodeURIComponent(code)}`, undefined, null);
  }

  /** A guest credential for the invite's room. */
  joinAsGuest(code: string, displayName: string): Promise<GuestToken> {
    const path = `/invites/${encodeURIComponent(code)}/guests`;
    return this.send("POST", path, { display_name: displayName }, null);
  }

  /** A new guest credential for a guest whose `token` is still valid. */
  renewGuest(token: string): Promise<GuestToken> {
    return this.send("POST", "/guests/renew", undefined, token);
  }

  private async send<T>(
    method: Method,
    path: string,
    body?: unknown,
    bearer: Bearer = this.userToken,
  ): Promise<T> {
    const attempt = async (fresh: boolean): Promise<Response> => {
      const headers: Record<string, string> = {};
      if (body !== undefined) headers["Content-Type"] = "application/json";
      const token = typeof bearer === "function" ? await bearer(fresh) : bearer;
      if (token !== null) headers.Authorization = `Bearer ${token}`;
      try {
        return await fetch(`/api${path}`, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          credentials: "same-origin",
        });
      } catch {
        throw new NetworkError();
      }
    };
    let response = await attempt(false);
    if (response.status === 401 && typeof bearer === "function") {
      response = await attempt(true);
      if (response.status === 401 && bearer === this.userToken) this.setSession(null);
    }
    if (!response.ok) throw await errorOf(response);
    return (response.status === 204 ? undefined : await response.json()) as T;
  }
}
