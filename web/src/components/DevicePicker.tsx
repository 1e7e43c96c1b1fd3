/** Choose the camera, the microphone or the speaker among those the browser lists. */
export type PickedDevice = "audio" | "video" | "speaker";

const LABELS: Record<PickedDevice, string> = {
  audio: "Microphone",
  video: "Camera",
  speaker: "Speaker",
};
const KINDS: Record<PickedDevice, MediaDeviceKind> = {
  audio: "audioinput",
  video: "videoinput",
  speaker: "audiooutput",
};

export function DevicePicker({
  kind,
  devices,
  selected,
  onSelect,
}: {
  kind: PickedDevice;
  devices: readonly MediaDeviceInfo[];
  /** The device in use; when the list lacks it, the first one listed is shown. */
  selected: string | undefined;
  onSelect: (deviceId: string) => void;
}) {
  const options = devices.filter((d) => d.kind === KINDS[kind]);
  if (options.length === 0) return null;
  const value = options.some((d) => d.deviceId === selected) ? selected : options[0]?.deviceId;
  return (
    <label>
      {LABELS[kind]}
      <select value={value} onChange={(event) => onSelect(event.target.value)}>
        {options.map((device, index) => (
          <option key={device.deviceId || index} value={device.deviceId}>
            {device.label || `${LABELS[kind]} ${index + 1}`}
          </option>
        ))}
      </select>
    </label>
  );
}
