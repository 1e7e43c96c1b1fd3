/**
 * What the browser's peer connections to the SFU share: the ICE candidates held back until the
 * server knows the connection (its answer or offer came), then trickled with `sfu-candidate`; and
 * a watch over the connection's state that calls for a recovery when ICE fails, or stays
 * disconnected or unconnected too long.
 */
import type { IceCandidate, SfuPeer } from "../realtime/protocol";
import type { PeerState } from "./PeerLink";

/** A connection "disconnected" this long is recovered (a "failed" one at once). */
export const DISCONNECTED_GRACE_MS = 3000;
/** Not connected this long after a negotiation: recovered. */
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

/**
 * Follows one connection's state: `recover` is called when ICE fails, stays disconnected past the
 * grace, or does not connect in time after `armed`; `state` tells the state as a link's.
 */
export class ConnectionWatch {
  private readonly pc: RTCPeerConnection;
  private readonly recover: () => void;
  private readonly onState: (state: PeerState) => void;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private everConnected = false;
  private current: PeerState = "connecting";

  constructor(pc: RTCPeerConnection, recover: () => void, onState: (state: PeerState) => void) {
    this.pc = pc;
    this.recover = recover;
    this.onState = onState;
    pc.onconnectionstatechange = () => this.changed();
  }

  get state(): PeerState {
    return this.current;
  }

  /** A negotiation was answered: it must connect within the timeout. */
  armed(): void {
    if (this.pc.connectionState === "connected") return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.lost(), CONNECT_TIMEOUT_MS);
  }

  close(): void {
    clearTimeout(this.timer);
    this.setState("closed");
  }

  private changed(): void {
    clearTimeout(this.timer);
    switch (this.pc.connectionState) {
      case "connected":
        this.everConnected = true;
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

  private lost(): void {
    if (this.current === "closed") return;
    this.setState(this.everConnected ? "reconnecting" : "connecting");
    this.recover();
  }

  private setState(state: PeerState): void {
    if (state === this.current || this.current === "closed") return;
    this.current = state;
    this.onState(state);
  }
}
