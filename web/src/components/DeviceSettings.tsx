/**
 * The devices one uses in the call, before joining and during it: camera, microphone with its
 * live level, and speaker with a test sound (or, where the browser cannot choose the output,
 * a sentence saying where the sound goes).
 */
import { useState } from "react";

import { SPEAKER_CHOICE } from "../rtc/LocalMedia";
import type { LocalMedia, LocalMediaSnapshot } from "../rtc/LocalMedia";
import { DevicePicker } from "./DevicePicker";
import { LevelMeter } from "./LevelMeter";
import { playTestSound } from "./sounds";
import { ErrorAlert } from "./ErrorAlert";

export function DeviceSettings({
  media,
  local,
}: {
  media: Pick<LocalMedia, "selectDevice" | "selectSpeaker">;
  local: LocalMediaSnapshot;
}) {
  return (
    <div className="device-settings">
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
      <LevelMeter track={local.microphoneOn ? local.audio : null} />
      {SPEAKER_CHOICE ? (
        <DevicePicker
          kind="speaker"
          devices={local.devices}
          selected={local.speaker}
          onSelect={(id) => media.selectSpeaker(id)}
        />
      ) : (
        <p className="muted">
          This browser plays the call on your system's sound output; choose the speaker in the
          system's settings.
        </p>
      )}
      <SpeakerTest sinkId={local.speaker} />
    </div>
  );
}

function SpeakerTest({ sinkId }: { sinkId: string }) {
  const [state, setState] = useState<"idle" | "playing" | "failed">("idle");
  const test = () => {
    setState("playing");
    playTestSound(sinkId).then(
      () => setState("idle"),
      () => setState("failed"),
    );
  };
  return (
    <>
      <button type="button" onClick={test} disabled={state === "playing"}>
        {state === "playing" ? "Playing a test sound…" : "Test speaker"}
      </button>
      <ErrorAlert>
        {state === "failed" && "The test sound could not play on this speaker. Choose another."}
      </ErrorAlert>
    </>
  );
}
