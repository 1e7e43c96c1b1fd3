/**
 * What the browser's peer connections to the SFU share: the ICE candidates held back until the
 * server knows the connection (its answer or offer came), then trickled with `sfu-candidate`; and
 * a watch over the connection's state that calls for a recovery when ICE fails, or stays
 * disconnected or unconnected too long, and again, backing off, while it does not come back.
 */
import type { IceCandidate, SfuPeer } from "../realtime/protocol";
import { BackoffWithJitter } from "../realtime/ReconnectPolicy";
import type { ReconnectPolicy } from "../realtime/ReconnectPolicy";
import type { PeerState } from "./PeerLink";

/** A connection "disconnected" this long is recovered (a "failed" one at once). */
export const DISCONNECTED_GRACE_MS = 3000;
/**
 * Not connected this long after a negotiation or a recovery: recovered (again). Doubled after each
 * recovery that did not bring it back, up to 4 times, so a slow machine or link gets the time it
 * needs instead of being started over and over (a link's connect timeout grows likewise).
 */
export const CONNECT_TIMEOUT_MS = 10_000;

/** The browser's candidates of one connection, sent once the server has that connection. */
export class CandidateTrickle {
  private readonly send: (candidate: IceCandidate | null) => void;
  private held: (IceCandidate | null)[] | null = [];

  constructor(pc: SfuPeer, send: (pc: SfuPeer, candidate: IceCandidate | null) => void) {
    this.send = (candidate) => send(pc, candidate);
  }

  add(candidate: RTCIceCandidate | null): void {
    const json = candidate ? (candidate.toJSON() as IceCandidate) : null;
    if (this.held === null) this.send(json);
    else this.held.push(json);
  }

  /** The server has the connection now: what was held goes, and the rest as it comes. */
  open(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const candidate of held) this.send(candidate);
  }

  /** A new negotiation starts (an ICE restart): hold its candidates until it is answered. */
  hold(): void {
    this.held ??= [];
  }
}

export interface WatchOptions {
  /**
   * Bring the connection back: ICE failed, stayed disconnected past the grace, or did not connect
   * in time after `armed` or after the previous recovery. `attempt` counts the recoveries since
   * it was last connected, from 0; the first comes at once, the next after the policy's delay.
   */
  recover?: (attempt: number) => void;
  /** The connection's state, as a link's. */
  onState?: (state: PeerState) => void;
  /** The waits between recoveries (the socket's reconnect policy by default). */
  policy?: ReconnectPolicy;
}

/**
 * Follows the state of a connection (or of the connections that replace it, one at a time), and
 * says when it needs recovering.
 */
export class ConnectionWatch {
  private pc: RTCPeerConnection | null = null;
  private readonly options: WatchOptions;
  private readonly policy: ReconnectPolicy;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private attempts = 0;
  /** How long the connection may take to connect now. */
  private patience = CONNECT_TIMEOUT_MS;
  private everConnected = false;
  private current: PeerState = "connecting";

  constructor(pc: RTCPeerConnection, options: WatchOptions) {
    this.options = options;
    this.policy = options.policy ?? new BackoffWithJitter();
    this.follow(pc);
  }

  get state(): PeerState {
    return this.current;
  }

  /** Follow this connection from now on, in place of the previous one: the attempts go on. */
  follow(pc: RTCPeerConnection): void {
    if (this.pc !== null) this.pc.onconnectionstatechange = null;
    this.pc = pc;
    pc.onconnectionstatechange = () => this.changed(pc);
  }

  /** A negotiation was answered: it must connect within the timeout. */
  armed(): void {
    if (this.pc?.connectionState === "connected") return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.lost(), this.patience);
  }

  close(): void {
    clearTimeout(this.timer);
    this.setState("closed");
  }

  private changed(pc: RTCPeerConnection): void {
    if (pc !== this.pc) return;
    clearTimeout(this.timer);
    switch (pc.connectionState) {
      case "connected":
        this.everConnected = true;
        this.attempts = 0;
        this.patience = CONNECT_TIMEOUT_MS;
        this.setState("connected");
        break;
      case "disconnected":
        this.setState("reconnecting");
        this.timer = setTimeout(() => this.lost(), DISCONNECTED_GRACE_MS);
        break;
      case "failed":
        this.lost();
        break;
      default:
        break;
    }
  }

  /** Recover after the policy's wait, and again if that brings no connection in time. */
  private lost(): void {
    if (this.current === "closed") return;
    this.setState(this.everConnected ? "reconnecting" : "connecting");
    const recover = this.options.recover;
    if (recover === undefined) return;
    const attempt = this.attempts++;
    const run = () => {
      this.patience = CONNECT_TIMEOUT_MS * 2 ** Math.min(attempt, 2);
      this.timer = setTimeout(() => this.lost(), this.patience);
      recover(attempt);
    };
    clearTimeout(this.timer);
    const delay = this.policy.delayBefore(attempt);
    if (delay === 0) run();
    else this.timer = setTimeout(run, delay);
  }

  private setState(state: PeerState): void {
    if (state === this.current || this.current === "closed") return;
    this.current = state;
    this.options.onState?.(state);
  }
}
