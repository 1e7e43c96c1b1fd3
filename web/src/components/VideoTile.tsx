/**
 * One participant's video with name, role, muted, camera-off, raised-hand and connection
 * indicators, and the reactions floating over it; or, `presenting`, their shared screen, shown
 * whole. Each tile can be pinned (when the stage offers it) and shown full screen.
 */
import { useEffect, useRef } from "react";

import type { FloatingReaction } from "../rtc/Call";
import type { LinkHealth } from "../rtc/PeerLink";
import { SPEAKER_CHOICE } from "../rtc/LocalMedia";
import type { PeerState } from "../rtc/PeerLink";
import type { Role } from "../realtime/protocol";
import { QualityIndicator } from "./QualityIndicator";
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
  /** Its owner's connection to the server dropped: back within the grace period, or gone. */
  reconnecting?: boolean;
  isSelf?: boolean;
  role?: Role;
  handRaised?: boolean;
  reactions?: readonly FloatingReaction[];
  /** This tile shows the participant's shared screen, not their camera. */
  presenting?: boolean;
  pinned?: boolean;
  onPin?: () => void;
  /** The speaker to play this participant's sound on ("" the default output). */
  sinkId?: string;
  /** The link to this participant: its quality and whether the picture is frozen. */
  health?: LinkHealth | null;
  /** Why the link to this participant cannot connect, in words. */
  problem?: string | null;
  /** This person's own video is paused on the link to this participant (too weak for it). */
  videoPausedToThem?: boolean;
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
  reconnecting = false,
  isSelf,
  role = "member",
  handRaised = false,
  reactions = [],
  presenting = false,
  pinned = false,
  onPin,
  sinkId = "",
  health = null,
  problem = null,
  videoPausedToThem = false,
}: VideoTileProps) {
  const video = useRef<HTMLVideoElement>(null);
  const figure = useRef<HTMLElement>(null);
  useEffect(() => {
    if (video.current && video.current.srcObject !== stream) video.current.srcObject = stream;
  }, [stream]);
  useEffect(() => {
    const element = video.current;
    if (element && SPEAKER_CHOICE && element.sinkId !== sinkId) {
      element.setSinkId(sinkId).catch(() => undefined); // an output unplugged since it was listed
    }
  }, [sinkId]);

  const person = isSelf ? `${name} (you)` : name;
  const label = presenting ? `Screen of ${person}` : person;
  const status = reconnecting
    ? PEER_STATE_TEXT.reconnecting
    : peerState
      ? PEER_STATE_TEXT[peerState]
      : "";
  const cameraOff = !videoOn && !presenting;
  const toggleFullscreen = () => {
    if (document.fullscreenElement) void document.exitFullscreen();
    else void figure.current?.requestFullscreen();
  };
  return (
    <figure
      ref={figure}
      className={`tile${speaking && !presenting ? " speaking" : ""}${cameraOff ? " camera-off" : ""}${presenting ? " presenting" : ""}`}
      data-participant={presenting ? undefined : name}
      data-screen={presenting ? name : undefined}
      data-self={isSelf ? "true" : undefined}
      aria-label={`${label}${speaking && !presenting ? ", speaking" : ""}`}
    >
      <video
        ref={video}
        autoPlay
        playsInline
        muted={isSelf || presenting}
        aria-label={presenting ? label : `Video of ${label}`}
      />
      <div className="tile-actions">
        {onPin && (
          <button type="button" aria-pressed={pinned} aria-label={`Pin ${label}`} onClick={onPin}>
            📌
          </button>
        )}
        <button type="button" aria-label={`Full screen: ${label}`} onClick={toggleFullscreen}>
          ⤢
        </button>
      </div>
      {cameraOff && (
        <div className="avatar" aria-hidden="true">
          {name.slice(0, 1).toUpperCase()}
        </div>
      )}
      {health?.frozen && videoOn && !presenting && peerState === "connected" && (
        <p className="tile-notice" role="status">
          Video paused: the connection is too weak
        </p>
      )}
      {problem && !presenting && (
        <p className="tile-notice" role="status">
          {problem}
        </p>
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
        {!presenting && <RoleBadge role={role} />}
        {health && !presenting && <QualityIndicator quality={health} whose={`${name}'s`} />}
        {screen && !presenting && <span className="badge">Sharing screen</span>}
        {!audioOn && !presenting && (
          <span className="badge" data-indicator="muted">
            Muted
          </span>
        )}
        {cameraOff && (
          <span className="badge" data-indicator="camera-off">
            Camera off
          </span>
        )}
        {videoPausedToThem && !presenting && (
          <span
            className="badge warn"
            data-indicator="audio-only"
            title={`The link to ${name} is too weak for your video; it is tried again by itself.`}
          >
            Sending audio only
          </span>
        )}
        {status && !presenting && (
          <span className="badge warn" role="status">
            {status}
          </span>
        )}
      </figcaption>
    </figure>
  );
}
