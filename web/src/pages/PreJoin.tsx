/** Before joining: preview, device pickers, camera and microphone on or off, room password. */
import { useState } from "react";
import type { FormEvent } from "react";

import type { CallRoom } from "../api/types";
import { DevicePicker } from "../components/DevicePicker";
import { MediaToggles } from "../components/MediaToggles";
import { VideoTile } from "../components/VideoTile";
import { useCall, useCallServices, useLocalMedia } from "../rtc/CallContext";
import { focusHeading } from "../router";
import { CONNECTION_TEXT } from "./InCall";

export function PreJoin({ room, displayName }: { room: CallRoom; displayName: string }) {
  const { media, call } = useCallServices();
  const local = useLocalMedia();
  const { phase, reason, connection } = useCall();
  const [password, setPassword] = useState("");

  const join = (event: FormEvent) => {
    event.preventDefault();
    void call.join(room.id, room.has_password ? password : undefined);
  };
  const problems = Object.values(local.problems);
  return (
    <main className="prejoin">
      <h1 ref={focusHeading} tabIndex={-1}>
        {room.name}
      </h1>
      <VideoTile
        name={displayName}
        stream={local.preview}
        audioOn={local.microphoneOn && local.audio !== null}
        videoOn={local.cameraOn && local.camera !== null}
        screen={false}
        speaking={false}
        isSelf
      />
      {problems.map((problem) => (
        <p key={problem} className="error" role="alert">
          {problem}
        </p>
      ))}
      <form className="card" onSubmit={join}>
        <div className="toggles">
          <MediaToggles media={media} local={local} />
        </div>
        <DevicePicker
          kind="video"
          devices={local.devices}
          selected={local.selected.video}
          onSelect={(id) => void media.selectDevice("video", id)}
        />
        <DevicePicker
          kind="audio"
          devices={local.devices}
          selected={local.selected.audio}
          onSelect={(id) => void media.selectDevice("audio", id)}
        />
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
        {reason && (
          <p className="error" role="alert">
            {reason}
          </p>
        )}
        {phase === "joining" && connection === "unreachable" && (
          <p className="error" role="status">
            {CONNECTION_TEXT.unreachable}
          </p>
        )}
        <button type="submit" className="primary" disabled={phase === "joining"}>
          {phase === "joining" ? "Joining…" : "Join room"}
        </button>
      </form>
    </main>
  );
}
