/** In the call, the side panel to switch camera, microphone and speaker (the others follow). */
import type { LocalMedia, LocalMediaSnapshot } from "../rtc/LocalMedia";
import { focusHeading } from "../router";
import { DeviceProblems } from "./DeviceProblems";
import { DeviceSettings } from "./DeviceSettings";

export function DevicesPanel({ media, local }: { media: LocalMedia; local: LocalMediaSnapshot }) {
  return (
    <section className="side-panel" aria-labelledby="devices-title">
      <h2 id="devices-title" ref={focusHeading} tabIndex={-1}>
        Devices
      </h2>
      <DeviceProblems problems={local.problems} onRetry={(kind) => void media.retry(kind)} />
      <DeviceSettings media={media} local={local} />
    </section>
  );
}
