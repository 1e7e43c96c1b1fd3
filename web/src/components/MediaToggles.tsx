/** The microphone and camera on/off buttons, the same before joining and in the call. */
import type { LocalMedia, LocalMediaSnapshot } from "../rtc/LocalMedia";

export function MediaToggles({
  media,
  local,
}: {
  media: Pick<LocalMedia, "setMicrophone" | "setCamera">;
  local: LocalMediaSnapshot;
}) {
  return (
    <>
      <button
        type="button"
        className={local.microphoneOn ? undefined : "off"}
        disabled={local.audio === null}
        onClick={() => media.setMicrophone(!local.microphoneOn)}
      >
        {local.microphoneOn ? "Mute microphone" : "Unmute microphone"}
      </button>
      <button
        type="button"
        className={local.cameraOn ? undefined : "off"}
        // No camera to turn off (none found, or access denied); turning it on asks again.
        disabled={local.camera === null && local.cameraOn}
        onClick={() => void media.setCamera(!local.cameraOn)}
      >
        {local.cameraOn ? "Turn camera off" : "Turn camera on"}
      </button>
    </>
  );
}
