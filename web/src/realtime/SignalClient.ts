/**
 * The WebSocket service: one socket to /ws, authenticated with the access token, typed events,
 * requests answered by ack or error, reconnect with backoff and jitter, and — after a reconnect —
 * rejoin of the room it was in, asking for the chat messages after `last_seq`. It renews the
 * socket's access token on the socket before the token expires (trying again while it lasts if the
 * server is busy); a socket closed because its session ended reconnects with a freshly refreshed
 * token, and a refused refresh means signed out. A join may be answered `waiting` (the lobby): the
 * client then waits for `admitted` and joins again with its ticket by itself; the ticket of the
 * last `joined` is presented again when it rejoins after a reconnect, with its resume token, which
 * gives the client its participant id back (so peer connections outlive the socket). Requests and
 * connection attempts time out; the state is `connected` only once the room is rejoined. Close
 * codes after which
 * reconnecting cannot help (room deleted, meeting ended, removed, denied, flood) stop it for good,
 * with a typed `Stop`.
 *
 * It holds no UI and no peer connections (LiveKit's SignalClient plays the same part).
 */
import { ApiError } from "../api/client";
import { Emitter } from "./emitter";
import { errorSentence } from "./errors";
import {
  AUTH_FAILED_CLOSE,
  DENIED_CLOSE,
  FINAL_CLOSE_CODES,
  MEETING_ENDED_CLOSE,
  REMOVED_CLOSE,
  ROOM_DELETED_CLOSE,
  SESSION_ENDED_CLOSE,
  TRANSIENT_ERROR_CODES,
} from "./protocol";
import type {
  ClientMessage,
  Joined,
  MediaState,
  OneWayMessage,
  Request,
  ServerMessage,
  Waiting,
} from "./protocol";
import { BackoffWithJitter } from "./ReconnectPolicy";
import type { ReconnectPolicy } from "./ReconnectPolicy";

/** `unreachable`: reconnecting still, but the last attempts were all refused before opening. */
export type ConnectionState =
  "idle" | "connecting" | "connected" | "reconnecting" | "unreachable" | "closed";

/**
 * Why the client stopped for good: `left` (closed by the page), `signed-out`, `room-deleted`
 * (4404), `ended` (a host ended the meeting, 4410), `removed` (by a host, 4412), `denied` (turned
 * away from the lobby, 4413), `rejoin-refused` (a rejoin refused for good), `disconnected` (4429).
 */
export type StopKind =
  | "left"
  | "signed-out"
  | "room-deleted"
  | "ended"
  | "removed"
  | "denied"
  | "rejoin-refused"
  | "disconnected";

export interface Stop {
  kind: StopKind;
  /** A sentence for the person in the call. */
  message: string;
}

const FINAL_STOPS: Readonly<Record<number, Stop>> = {
  [ROOM_DELETED_CLOSE]: { kind: "room-deleted", message: "This room was deleted." },
  [MEETING_ENDED_CLOSE]: { kind: "ended", message: "The meeting has ended." },
  [REMOVED_CLOSE]: { kind: "removed", message: "You were removed from the meeting." },
  [DENIED_CLOSE]: { kind: "denied", message: "You were not let in." },
};
const LEFT: Stop = { kind: "left", message: "You left the meeting." };
const SIGNED_OUT: Stop = { kind: "signed-out", message: "You were signed out." };

/**
 * The server refused a request; `code` is one of docs/protocol.md's error codes, the message a
 * sentence for the person in the call (the server's own for codes without one).
 */
export class RequestError extends Error {
  readonly code: string;
  /** For `rate_limited` and `server_busy`: seconds to wait before sending it again. */
  readonly retryAfter: number | undefined;

  constructor(code: string, serverMessage: string, retryAfter?: number | null) {
    super(errorSentence(code, serverMessage));
    this.code = code;
    this.retryAfter = retryAfter ?? undefined;
  }
}

/** The socket dropped before the request was answered; it may or may not have been applied. */
export class Disconnected extends Error {
  constructor() {
    super("the connection to the server was lost");
  }
}

/** No answer came in time; the request may or may not have been applied. */
export class TimedOut extends Error {
  constructor() {
    super("the server did not answer in time");
  }
}

export interface JoinOptions {
  room: string;
  password?: string;
  media: MediaState;
}

/**
 * Rejoin refusals that pass: besides the transient ones, `room_full` (the room may still count
 * this client's own old participant for a moment). Anything else ends the call.
 */
const REJOIN_RETRY_CODES: ReadonlySet<string> = new Set([...TRANSIENT_ERROR_CODES, "room_full"]);

/** What answers a request: `sfu-answer` answers `sfu-publish`. */
export type Answer = Extract<ServerMessage, { type: "ack" | "joined" | "waiting" | "sfu-answer" }>;
type Ack = Extract<ServerMessage, { type: "ack" }>;

/** Renew the socket's access token once this fraction of its lifetime has passed. */
const RENEW_AT = 0.75;
/** A failed renewal is tried again after half the time left, at most this long… */
const RENEW_RETRY_MAX_MS = 30_000;
/** …until less than this is left: the server then closes the socket (4401) and it reconnects. */
const RENEW_GIVE_UP_MS = 2_000;
/** The longest delay setTimeout takes; a longer one fires at once. */
const MAX_TIMEOUT_MS = 2_147_483_647;
/** After this many attempts in a row refused before the socket opened, the state is unreachable. */
const UNREACHABLE_AFTER = 5;

export interface SignalEvents extends Record<string, unknown[]> {
  state: [ConnectionState];
  /** Joined a room; `rejoined` is true when this follows an earlier `joined` (a reconnect). */
  joined: [message: Joined, rejoined: boolean];
  /** The join waits in the lobby until a host lets it in (then `joined`) or denies it. */
  waiting: [message: Waiting];
  /** Any room event (participants, chat, typing, signal, room-closed, lobby, moderation…). */
  event: [ServerMessage];
  /** The client stopped for good (left, signed out, room deleted, meeting ended, removed…). */
  stopped: [stop: Stop];
}

export interface SignalClientOptions {
  url: string;
  /**
   * The access token; `fresh` asks for a newly refreshed one (after an auth failure). Rejecting
   * with an `ApiError` of status 401 means signed out; any other rejection is retried.
   */
  token: (fresh: boolean) => Promise<string>;
  policy?: ReconnectPolicy;
  /** A socket silent this long is taken as dead (the server pings every 5 s). */
  livenessTimeoutMs?: number;
  /** A request unanswered this long fails with `TimedOut`. */
  requestTimeoutMs?: number;
  /** A socket not open and authenticated this long after it was created is given up on. */
  connectTimeoutMs?: number;
  createSocket?: (url: string) => WebSocket;
}

interface Pending {
  resolve: (answer: Answer) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class SignalClient extends Emitter<SignalEvents> {
  private readonly options: Required<SignalClientOptions>;
  private socket: WebSocket | null = null;
  /** The socket is authenticated: the client's own requests (join, renew) may go. */
  private authenticatedSocket = false;
  private connectionState: ConnectionState = "idle";
  private attempt = 0;
  private authFailures = 0;
  /** Attempts in a row whose socket never opened (handshake refused, server down). */
  private unopened = 0;
  /** The last `error` code the current socket received: it explains a 4429 close. */
  private lastErrorCode: string | null = null;
  private nextRef = 0;
  private readonly pending = new Map<string, Pending>();
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private livenessTimer: ReturnType<typeof setTimeout> | undefined;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private renewTimer: ReturnType<typeof setTimeout> | undefined;
  /** The access token the socket was authenticated (or last renewed) with. */
  private socketToken: string | null = null;
  /** When the socket's access token expires (Date.now() milliseconds). */
  private socketTokenExpiry = 0;
  private joinOptions: JoinOptions | null = null;
  /** This client's participant id in its room, taken back with `resume` when it rejoins. */
  private participantId: string | null = null;
  /** The resume token of the last `joined`, presented when joining again. */
  private resumeToken: string | null = null;
  /** The admission ticket (from `admitted` or the last `joined`), presented when joining again. */
  private ticket: string | null = null;
  private resumePoint: () => number | undefined = () => undefined;

  constructor(options: SignalClientOptions) {
    super();
    this.options = {
      policy: new BackoffWithJitter(),
      livenessTimeoutMs: 15_000,
      requestTimeoutMs: 10_000,
      connectTimeoutMs: 10_000,
      createSocket: (url) => new WebSocket(url),
      ...options,
    };
  }

  get state(): ConnectionState {
    return this.connectionState;
  }

  /** Where chat resumes after a reconnect: the `seq` up to which the client misses nothing. */
  setResumePoint(lastSeq: () => number | undefined): void {
    this.resumePoint = lastSeq;
  }

  /** Open the socket (and keep it open, reconnecting, until `close`). */
  connect(): void {
    if (this.connectionState === "idle" || this.connectionState === "closed") {
      this.open("connecting");
    }
  }

  /**
   * Join a room; after any reconnect the client rejoins it by itself. Resolves with `joined`, or
   * with `waiting` when a host must let this client in first: it then joins by itself once
   * `admitted` (the `joined` event tells), or stops with `denied`.
   */
  async join(options: JoinOptions): Promise<Joined | Waiting> {
    await this.connected();
    this.participantId = null;
    this.ticket = null;
    this.resumeToken = null;
    const answer = (await this.request({ type: "join", ...options })) as Joined | Waiting;
    this.joinOptions = options;
    this.accept(answer);
    return answer;
  }

  /** Resolves once the socket is authenticated; rejects if the client stops first. */
  connected(): Promise<void> {
    if (this.connectionState === "connected") return Promise.resolve();
    return new Promise((resolve, reject) => {
      const offState = this.on("state", (state) => {
        if (state !== "connected") return;
        offState();
        offStopped();
        resolve();
      });
      const offStopped = this.on("stopped", (stop) => {
        offState();
        offStopped();
        reject(new Error(stop.message));
      });
    });
  }

  /** Remember the media state to announce when rejoining. */
  setMedia(media: MediaState): void {
    if (this.joinOptions) this.joinOptions = { ...this.joinOptions, media };
  }

  async leave(): Promise<void> {
    this.forgetRoom();
    if (this.authenticatedSocket) await this.exchange({ type: "leave" });
  }

  /**
   * Send a request and wait for its ack (or joined, waiting, sfu-answer); rejects with RequestError, Disconnected, or
   * TimedOut. Only while connected: not while a reconnected socket rejoins the room.
   */
  request(request: Request): Promise<Answer> {
    if (this.connectionState !== "connected") return Promise.reject(new Disconnected());
    return this.exchange(request);
  }

  /** A request on the authenticated socket, in the room or not (yet). */
  private exchange(request: Request): Promise<Answer> {
    if (!this.authenticatedSocket || this.socket === null) {
      return Promise.reject(new Disconnected());
    }
    const ref = `r${++this.nextRef}`;
    return new Promise<Answer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(ref);
        reject(new TimedOut());
      }, this.options.requestTimeoutMs);
      this.pending.set(ref, { resolve, reject, timer });
      this.send({ ...request, ref });
    });
  }

  /** Fire and forget (typing, SFU candidates); dropped while disconnected. */
  notify(message: OneWayMessage): void {
    if (this.connectionState === "connected") this.send(message);
  }

  /** Close for good (the page leaves the room). */
  close(): void {
    this.stop(LEFT);
  }

  private stop(stop: Stop): void {
    this.forgetRoom();
    clearTimeout(this.retryTimer);
    clearTimeout(this.livenessTimer);
    clearTimeout(this.renewTimer);
    clearTimeout(this.connectTimer);
    const socket = this.socket;
    this.socket = null;
    this.authenticatedSocket = false;
    socket?.close(1000);
    this.failPending();
    if (this.connectionState !== "closed") {
      this.setState("closed");
      this.emit("stopped", stop);
    }
  }

  private forgetRoom(): void {
    this.joinOptions = null;
    this.participantId = null;
    this.ticket = null;
    this.resumeToken = null;
  }

  private setState(state: ConnectionState): void {
    if (state === this.connectionState) return;
    this.connectionState = state;
    this.emit("state", state);
  }

  private send(message: ClientMessage): void {
    this.socket?.send(JSON.stringify(message));
  }

  private open(state: "connecting" | "reconnecting"): void {
    this.setState(this.unopened >= UNREACHABLE_AFTER ? "unreachable" : state);
    this.unopened++;
    this.lastErrorCode = null;
    const socket = this.options.createSocket(this.options.url);
    this.socket = socket;
    clearTimeout(this.connectTimer);
    this.connectTimer = setTimeout(() => {
      if (socket === this.socket && !this.authenticatedSocket) this.drop(socket);
    }, this.options.connectTimeoutMs);
    socket.onopen = () => {
      if (socket === this.socket) this.unopened = 0;
      void this.authenticate(socket);
    };
    socket.onmessage = (event: MessageEvent) => {
      if (socket !== this.socket) return;
      this.keepAlive(socket);
      this.receive(JSON.parse(String(event.data)) as ServerMessage);
    };
    socket.onclose = (event: CloseEvent) => {
      if (socket === this.socket) this.lost(event.code);
    };
  }

  private async authenticate(socket: WebSocket): Promise<void> {
    this.keepAlive(socket);
    try {
      const token = await this.options.token(this.authFailures > 0);
      if (socket !== this.socket) return;
      this.socketToken = token;
      this.send({ type: "auth", token, ref: "auth" });
    } catch (error) {
      if (socket !== this.socket) return;
      if (error instanceof ApiError && error.status === 401) this.stop(SIGNED_OUT);
      else this.drop(socket); // offline while refreshing (a laptop waking up): try again later
    }
  }

  /** Give up on this socket and reconnect with backoff. */
  private drop(socket: WebSocket): void {
    socket.close();
    this.lost(1006);
  }

  private keepAlive(socket: WebSocket): void {
    clearTimeout(this.livenessTimer);
    this.livenessTimer = setTimeout(() => {
      if (socket === this.socket) this.drop(socket);
    }, this.options.livenessTimeoutMs);
  }

  private receive(message: ServerMessage): void {
    switch (message.type) {
      case "authenticated":
        this.renewIn(message.expires_in);
        void this.authenticated();
        return;
      case "admitted":
        // A host let this client in: join again, past the lobby, with the ticket.
        this.ticket = message.ticket;
        void this.rejoin();
        return;
      case "ping":
        this.send({ type: "pong" });
        return;
      case "error":
        this.lastErrorCode = message.code;
        this.answer(message);
        return;
      case "ack":
      case "joined":
      case "waiting":
      case "sfu-answer":
        this.answer(message);
        return;
      default:
        this.emit("event", message);
    }
  }

  /** Settle the request this answer names by its `ref`. */
  private answer(message: Answer | Extract<ServerMessage, { type: "error" }>): void {
    const pending = message.ref == null ? undefined : this.pending.get(message.ref);
    if (pending === undefined || message.ref == null) return;
    this.pending.delete(message.ref);
    clearTimeout(pending.timer);
    if (message.type === "error")
      pending.reject(new RequestError(message.code, message.message, message.retry_after));
    else pending.resolve(message);
  }

  /** Connected, once back in the room the client was in (if any). */
  private async authenticated(): Promise<void> {
    clearTimeout(this.connectTimer);
    this.authFailures = 0;
    this.authenticatedSocket = true;
    if (this.joinOptions === null) {
      this.attempt = 0;
      this.setState("connected");
    } else {
      await this.rejoin();
    }
  }

  /** Join the room again: after a reconnect, or once admitted from the lobby. */
  private async rejoin(): Promise<void> {
    const socket = this.socket;
    if (this.joinOptions === null || socket === null) return;
    const lastSeq = this.resumePoint();
    try {
      const answer = (await this.exchange({
        type: "join",
        ...this.joinOptions,
        ...(lastSeq === undefined ? {} : { last_seq: lastSeq }),
        // The same participant again (its old socket may linger: the server closes it).
        ...(this.resumeToken === null ? {} : { resume: this.resumeToken }),
        ...(this.ticket === null ? {} : { ticket: this.ticket }),
      })) as Joined | Waiting;
      if (socket !== this.socket) return;
      this.attempt = 0;
      this.setState("connected");
      this.accept(answer);
    } catch (error) {
      if (socket !== this.socket) return;
      // No answer: try again on a new socket. Disconnected: the next reconnect tries again.
      if (error instanceof TimedOut) this.drop(socket);
      if (!(error instanceof RequestError)) return;
      // A passing refusal: reconnect with backoff (attempt keeps growing) and rejoin then.
      if (REJOIN_RETRY_CODES.has(error.code)) this.drop(socket);
      else this.stop({ kind: "rejoin-refused", message: `Could not rejoin: ${error.message}` });
    }
  }

  /** The answer to a join: in the room (keep its ticket), or waiting in the lobby. */
  private accept(answer: Joined | Waiting): void {
    if (answer.type === "waiting") {
      this.emit("waiting", answer);
      return;
    }
    const rejoined = this.participantId !== null;
    this.participantId = answer.participant_id;
    this.ticket = answer.ticket;
    this.resumeToken = answer.resume;
    this.emit("joined", answer, rejoined);
  }

  /** Renew the socket's access token before it expires, when the server would close the socket. */
  private renewIn(expiresInSeconds: number): void {
    this.socketTokenExpiry = Date.now() + expiresInSeconds * 1000;
    this.scheduleRenewal(expiresInSeconds * RENEW_AT * 1000);
  }

  private scheduleRenewal(delayMs: number): void {
    clearTimeout(this.renewTimer);
    const socket = this.socket;
    this.renewTimer = setTimeout(
      () => {
        if (socket !== null && socket === this.socket) void this.renew(socket);
      },
      Math.min(delayMs, MAX_TIMEOUT_MS),
    );
  }

  private async renew(socket: WebSocket): Promise<void> {
    try {
      let token = await this.options.token(false);
      if (token === this.socketToken) token = await this.options.token(true); // not refreshed yet
      if (socket !== this.socket) return;
      const ack = (await this.exchange({ type: "renew", token })) as Ack;
      this.socketToken = token;
      if (ack.expires_in != null) this.renewIn(ack.expires_in);
    } catch (error) {
      if (socket !== this.socket) return;
      if (error instanceof ApiError && error.status === 401) {
        this.stop(SIGNED_OUT);
        return;
      }
      // Refused for good: the server closes the socket at the token's expiry (4401), and it reconnects.
      if (error instanceof RequestError && !TRANSIENT_ERROR_CODES.has(error.code)) return;
      // Busy, rate limited or offline: try again while the token lasts.
      const left = this.socketTokenExpiry - Date.now();
      if (left > RENEW_GIVE_UP_MS) this.scheduleRenewal(Math.min(RENEW_RETRY_MAX_MS, left / 2));
    }
  }

  /** The socket is gone: stop for good, or reconnect after the policy's delay. */
  private lost(code: number): void {
    clearTimeout(this.livenessTimer);
    clearTimeout(this.renewTimer);
    clearTimeout(this.connectTimer);
    this.socket = null;
    this.authenticatedSocket = false;
    this.failPending();
    if (FINAL_CLOSE_CODES.has(code)) {
      this.stop(this.finalStop(code));
      return;
    }
    // A fresh token for the next socket; refreshing fails (signed out) if the session has ended.
    const authRefused = code === AUTH_FAILED_CLOSE || code === SESSION_ENDED_CLOSE;
    if (authRefused && ++this.authFailures > 1) {
      this.stop(SIGNED_OUT);
      return;
    }
    // 1013 (the server could not reach its database) and any other close: try again with backoff.
    // A close frame from the server (1006 is a connection lost without one): it may be closing
    // every socket at once (a restart), so the first attempt is spread over a random second.
    const delay = this.options.policy.delayBefore(this.attempt++, code !== 1006);
    this.setState(this.unopened >= UNREACHABLE_AFTER ? "unreachable" : "reconnecting");
    this.retryTimer = setTimeout(() => this.open("reconnecting"), delay);
  }

  /** What to tell the user when the server closed the socket for good. */
  private finalStop(code: number): Stop {
    const stop = FINAL_STOPS[code];
    if (stop !== undefined) return stop;
    const message =
      this.lastErrorCode === "too_many_sockets"
        ? "You have too many Glimpse tabs or devices connected; close one and rejoin."
        : "The server disconnected this tab for sending too many invalid messages.";
    return { kind: "disconnected", message };
  }

  private failPending(): void {
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new Disconnected());
    }
    this.pending.clear();
  }
}
