/**
 * One participant's video with name, role, muted, camera-off, raised-hand and connection
 * indicators, and the reactions floating over it.
 */
import { useEffect, useRef } from "react";

import type { FloatingReaction } from "../rtc/Call";
import type { PeerState } from "../rtc/PeerLink";
import type { Role } from "../realtime/protocol";
import { RoleBadge } from "./RoleBadge";

export interface VideoTileProps {
  name: string;
  stream: MediaStream | null;
  audioOn: boolean;
  videoOn: boolean;
  screen: boolean;
  speaking: boolean;
  /** Connection to this peer; absent for the local tile. */
  peerState?: PeerState;
  isSelf?: boolean;
  role?: Role;
  handRaised?: boolean;
  reactions?: readonly FloatingReaction[];
}

const PEER_STATE_TEXT: Record<PeerState, string> = {
  connecting: "Connecting…",
  connected: "",
  reconnecting: "Reconnecting…",
  failed: "Connection failed",
  closed: "Disconnected",
};

export function VideoTile({
  name,
  stream,
  audioOn,
  videoOn,
  screen,
  speaking,
  peerState,
  isSelf,
  role = "member",
  handRaised = false,
  reactions = [],
}: VideoTileProps) {
  const video = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    if (video.current && video.current.srcObject !== stream) video.current.srcObject = stream;
  }, [stream]);

  const label = isSelf ? `${name} (you)` : name;
  const status = peerState ? PEER_STATE_TEXT[peerState] : "";
  return (
    <figure
      className={`tile${speaking ? " speaking" : ""}${videoOn || screen ? "" : " camera-off"}`}
      data-participant={name}
      data-self={isSelf ? "true" : undefined}
      aria-label={`${label}${speaking ? ", speaking" : ""}`}
    >
      <video ref={video} autoPlay playsInline muted={isSelf} aria-label={`Video of ${label}`} />
      {!videoOn && !screen && (
        <div className="avatar" aria-hidden="true">
          {name.slice(0, 1).toUpperCase()}
        </div>
      )}
      {handRaised && (
        <span className="hand" role="img" aria-label="Hand raised">
          ✋
        </span>
      )}
      {reactions.map((reaction) => (
        <span key={reaction.id} className="reaction" role="img" aria-label={reaction.emoji}>
          {reaction.emoji}
        </span>
      ))}
      <figcaption>
        <span className="name">{label}</span>
        <RoleBadge role={role} />
        {screen && <span className="badge">Sharing screen</span>}
        {!audioOn && (
          <span className="badge" data-indicator="muted">
            Muted
          </span>
        )}
        {!videoOn && !screen && (
          <span className="badge" data-indicator="camera-off">
            Camera off
          </span>
        )}
        {status && (
          <span className="badge warn" role="status">
            {status}
          </span>
        )}
      </figcaption>
    </figure>
  );
}
