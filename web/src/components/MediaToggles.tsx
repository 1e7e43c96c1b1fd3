/** The microphone and camera on/off buttons, the same before joining and in the call. */
import type { LocalMedia, LocalMediaSnapshot } from "../rtc/LocalMedia";
import { ReasonedButton } from "./ReasonedButton";

/** Why a device's button cannot be used: what went wrong, or that it is still starting. */
function unavailable(problem: string | undefined, device: string): string {
  return problem ?? `The ${device} is starting…`;
}

export function MediaToggles({
  media,
  local,
}: {
  media: Pick<LocalMedia, "setMicrophone" | "setCamera">;
  local: LocalMediaSnapshot;
}) {
  return (
    <>
      <ReasonedButton
        className={local.microphoneOn ? undefined : "off"}
        disabledReason={
          local.audio === null ? unavailable(local.problems.audio, "microphone") : undefined
        }
        onClick={() => media.setMicrophone(!local.microphoneOn)}
      >
        {local.microphoneOn ? "Mute microphone" : "Unmute microphone"}
      </ReasonedButton>
      <ReasonedButton
        className={local.cameraOn ? undefined : "off"}
        // No camera to turn off (none found, or access denied); turning it on asks again.
        disabledReason={
          local.camera === null && local.cameraOn
            ? unavailable(local.problems.video, "camera")
            : undefined
        }
        onClick={() => void media.setCamera(!local.cameraOn)}
      >
        {local.cameraOn ? "Turn camera off" : "Turn camera on"}
      </ReasonedButton>
    </>
  );
}
