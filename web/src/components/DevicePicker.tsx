/** Choose the camera or the microphone. */
import type { DeviceKind } from "../rtc/LocalMedia";

const LABELS: Record<DeviceKind, string> = { audio: "Microphone", video: "Camera" };

export function DevicePicker({
  kind,
  devices,
  selected,
  onSelect,
}: {
  kind: DeviceKind;
  devices: MediaDeviceInfo[];
  selected: string | undefined;
  onSelect: (deviceId: string) => void;
}) {
  const options = devices.filter(
    (d) => d.kind === (kind === "audio" ? "audioinput" : "videoinput"),
  );
  if (options.length === 0) return null;
  return (
    <label>
      {LABELS[kind]}
      <select
        value={selected ?? options[0]?.deviceId}
        onChange={(event) => onSelect(event.target.value)}
      >
        {options.map((device, index) => (
          <option key={device.deviceId || index} value={device.deviceId}>
            {device.label || `${LABELS[kind]} ${index + 1}`}
          </option>
        ))}
      </select>
    </label>
  );
}
