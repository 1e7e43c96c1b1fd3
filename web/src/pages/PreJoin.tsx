/**
 * Before joining: the preview, camera and microphone on or off, the room password, and "Join
 * room" with any error beside it, all in view at once on a phone and a desktop; below them the
 * devices (camera, microphone with its level, speaker with a test) and a connectivity check.
 * Device problems are explained, each with a retry. Whether the meeting is being recorded is said
 * at the top of the form, read again while the person waits (a recording started meanwhile is
 * announced).
 */
import { useId, useState } from "react";
import type { FormEvent } from "react";

import { useRecordingNow } from "../api/queries";
import type { CallRoom } from "../api/types";
import { useIdentity } from "../auth/IdentityContext";
import { ConnectivityCheck } from "../components/ConnectivityCheck";
import { DeviceProblems } from "../components/DeviceProblems";
import { DeviceSettings } from "../components/DeviceSettings";
import { MediaToggles } from "../components/MediaToggles";
import { ReasonedButton } from "../components/ReasonedButton";
import { VideoTile } from "../components/VideoTile";
import { useCall, useCallServices, useLocalMedia } from "../rtc/CallContext";
import { INSECURE_PAGE, isSecurePage } from "../rtc/LocalMedia";
import { focusHeading } from "../router";
import { CONNECTION_TEXT } from "./InCall";
import { ErrorAlert } from "../components/ErrorAlert";

export function PreJoin({ room, displayName }: { room: CallRoom; displayName: string }) {
  const { media, call, iceServers } = useCallServices();
  const local = useLocalMedia();
  const { phase, reason, connection } = useCall();
  const [password, setPassword] = useState("");
  const identity = useIdentity();
  const recording = useRecordingNow(room, identity.kind === "guest");
  const recordedId = useId();

  const join = (event: FormEvent) => {
    event.preventDefault();
    void call.join(room.id, room.has_password ? password : undefined);
  };
  return (
    <main className="prejoin">
      <h1 ref={focusHeading} tabIndex={-1}>
        {room.name}
      </h1>
      <div className="prejoin-preview">
        <VideoTile
          name={displayName}
          stream={local.preview}
          audioOn={local.microphoneOn && local.audio !== null}
          videoOn={local.cameraOn && local.camera !== null}
          screen={false}
          speaking={false}
          isSelf
        />
      </div>
      <form className="card prejoin-form" onSubmit={join} aria-label="Join the room">
        <div role="status">
          {recording === true && (
            <p id={recordedId} className="recorded-notice">
              This meeting is being recorded. You can join with your camera and microphone off.
            </p>
          )}
        </div>
        {isSecurePage() ? (
          <DeviceProblems problems={local.problems} onRetry={(kind) => void media.retry(kind)} />
        ) : (
          <ErrorAlert>{INSECURE_PAGE}</ErrorAlert>
        )}
        <div className="toggles">
          <MediaToggles media={media} local={local} />
        </div>
        {room.has_password && (
          <label>
            Room password
            <input
              type="password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              required
            />
          </label>
        )}
        <ErrorAlert>{reason}</ErrorAlert>
        {phase === "joining" && connection === "unreachable" && (
          <p className="error" role="status">
            {CONNECTION_TEXT.unreachable}
          </p>
        )}
        <ReasonedButton
          type="submit"
          className="primary"
          aria-describedby={recording === true ? recordedId : undefined}
          disabledReason={
            !isSecurePage() ? INSECURE_PAGE : phase === "joining" ? "Joining the room…" : undefined
          }
        >
          {phase === "joining" ? "Joining…" : "Join room"}
        </ReasonedButton>
      </form>
      <section className="card prejoin-devices" aria-labelledby="devices-heading">
        <h2 id="devices-heading">Devices</h2>
        <DeviceSettings media={media} local={local} />
        <ConnectivityCheck iceServers={iceServers} />
      </section>
    </main>
  );
}
