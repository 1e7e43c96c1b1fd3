/**
 * A guest's credential for one room, without UI. It is kept in sessionStorage under the room's
 * invite code, so a reload keeps the guest in while another tab, or the browser reopened, does
 * not; and it is renewed at 80% of its lifetime while the guest is in the call (`keepRenewed`).
 * A credential that expired or was refused ends the session: it is forgotten and `onEnded` fires.
 */
import { ApiError } from "../api/client";
import type { GuestToken } from "../api/types";

/** Renew once this fraction of the credential's lifetime has passed. */
const RENEW_AT = 0.8;
/** A failed renewal is tried again after half the time left, at most this long… */
const RENEW_RETRY_MAX_MS = 30_000;
/** …until less than this is left: the session then ends. */
const RENEW_GIVE_UP_MS = 2_000;
/** Renewal answers that end the session: expired, guests turned off, room deleted. */
const REFUSED: ReadonlySet<number> = new Set([401, 403, 404]);
/** The longest delay setTimeout takes; a longer one fires at once. */
const MAX_TIMEOUT_MS = 2_147_483_647;

/** The API's renewal: a new credential for a still-valid `token`. */
export type GuestRenewal = (token: string) => Promise<GuestToken>;

/** What sessionStorage holds for a room's code. */
interface StoredGuest {
  token: string;
  /** Date.now() milliseconds. */
  expiresAt: number;
  lifetimeMs: number;
  guestId: string;
  roomId: string;
  displayName: string;
}

export interface GuestIdentity {
  id: string;
  displayName: string;
  roomId: string;
}

function storageKey(code: string): string {
  return `glimpse-guest:${code}`;
}

function isStoredGuest(value: unknown): value is StoredGuest {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.token === "string" &&
    typeof v.expiresAt === "number" &&
    typeof v.lifetimeMs === "number" &&
    typeof v.guestId === "string" &&
    typeof v.roomId === "string" &&
    typeof v.displayName === "string"
  );
}

function ended(): ApiError {
  return new ApiError(401, "guest_session_ended", "the guest credential has expired");
}

export class GuestSession {
  private credential: StoredGuest;
  private readonly code: string;
  private readonly renewal: GuestRenewal;
  private readonly storage: Storage;
  private renewing: Promise<string> | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Whether the credential is renewed on time (the guest is in the call). */
  private renewed = false;
  private over = false;
  private readonly endListeners = new Set<() => void>();

  private constructor(
    code: string,
    credential: StoredGuest,
    renewal: GuestRenewal,
    storage: Storage,
  ) {
    this.code = code;
    this.credential = credential;
    this.renewal = renewal;
    this.storage = storage;
  }

  /** The session this tab holds for the room at `code`, unless there is none or it expired. */
  static restore(
    code: string,
    renewal: GuestRenewal,
    storage: Storage = sessionStorage,
  ): GuestSession | null {
    let stored: unknown;
    try {
      stored = JSON.parse(storage.getItem(storageKey(code)) ?? "null");
    } catch {
      stored = null;
    }
    if (!isStoredGuest(stored) || stored.expiresAt - Date.now() <= RENEW_GIVE_UP_MS) {
      storage.removeItem(storageKey(code));
      return null;
    }
    return new GuestSession(code, stored, renewal, storage);
  }

  /** A new session from the credential the invite gave; it is stored. */
  static begin(
    code: string,
    token: GuestToken,
    renewal: GuestRenewal,
    storage: Storage = sessionStorage,
  ): GuestSession {
    const session = new GuestSession(code, GuestSession.stored(token), renewal, storage);
    session.save();
    return session;
  }

  private static stored(token: GuestToken): StoredGuest {
    const lifetimeMs = token.expires_in * 1000;
    return {
      token: token.token,
      expiresAt: Date.now() + lifetimeMs,
      lifetimeMs,
      guestId: token.guest_id,
      roomId: token.room_id,
      displayName: token.display_name,
    };
  }

  get identity(): GuestIdentity {
    const { guestId, displayName, roomId } = this.credential;
    return { id: guestId, displayName, roomId };
  }

  /** The credential; `fresh` renews it first. Rejects with an ApiError 401 once the session ended. */
  token(fresh = false): Promise<string> {
    if (this.over) return Promise.reject(ended());
    if (fresh) return this.renew();
    if (this.credential.expiresAt <= Date.now()) {
      this.end();
      return Promise.reject(ended());
    }
    return Promise.resolve(this.credential.token);
  }

  /** Renew the credential on time until the returned function is called. */
  keepRenewed(): () => void {
    this.renewed = true;
    this.schedule(this.credential.expiresAt - (1 - RENEW_AT) * this.credential.lifetimeMs);
    return () => {
      this.renewed = false;
      clearTimeout(this.timer);
    };
  }

  onEnded(listener: () => void): () => void {
    this.endListeners.add(listener);
    return () => this.endListeners.delete(listener);
  }

  /** Forget the credential (it expired, was refused, or the guest is done). */
  end(): void {
    if (this.over) return;
    this.over = true;
    clearTimeout(this.timer);
    this.storage.removeItem(storageKey(this.code));
    for (const listener of this.endListeners) listener();
  }

  /** Renew at `at` (Date.now() milliseconds), at once if that has passed. */
  private schedule(at: number): void {
    clearTimeout(this.timer);
    if (!this.renewed || this.over) return;
    const delay = Math.min(Math.max(0, at - Date.now()), MAX_TIMEOUT_MS);
    this.timer = setTimeout(() => {
      this.renew().catch(() => this.retry());
    }, delay);
  }

  /** A renewal failed for a passing reason: try again while the credential lasts. */
  private retry(): void {
    if (this.over) return;
    const left = this.credential.expiresAt - Date.now();
    if (left <= RENEW_GIVE_UP_MS) this.end();
    else this.schedule(Date.now() + Math.min(RENEW_RETRY_MAX_MS, left / 2));
  }

  /** Exchange the credential for a new one; concurrent callers share one request. */
  private renew(): Promise<string> {
    this.renewing ??= this.renewal(this.credential.token)
      .then(
        (token) => {
          this.credential = GuestSession.stored(token);
          this.save();
          this.schedule(this.credential.expiresAt - (1 - RENEW_AT) * this.credential.lifetimeMs);
          return this.credential.token;
        },
        (error: unknown) => {
          // Refused (expired, the room turned guests off or is gone): the session is over.
          if (error instanceof ApiError && REFUSED.has(error.status)) {
            this.end();
            throw ended();
          }
          throw error;
        },
      )
      .finally(() => {
        this.renewing = null;
      });
    return this.renewing;
  }

  private save(): void {
    if (!this.over) this.storage.setItem(storageKey(this.code), JSON.stringify(this.credential));
  }
}
