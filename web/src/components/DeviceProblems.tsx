/** What is wrong with the camera or the microphone, in a sentence, each with a way to try again. */
import type { DeviceKind } from "../rtc/LocalMedia";

const NAMES: Record<DeviceKind, string> = { audio: "microphone", video: "camera" };

export function DeviceProblems({
  problems,
  onRetry,
}: {
  problems: Partial<Record<DeviceKind, string>>;
  onRetry: (kind: DeviceKind) => void;
}) {
  const kinds = (["video", "audio"] as const).filter((kind) => problems[kind] !== undefined);
  return kinds.map((kind) => (
    <p key={kind} className="error device-problem" role="alert">
      {problems[kind]}{" "}
      <button type="button" className="link" onClick={() => onRetry(kind)}>
        Try the {NAMES[kind]} again
      </button>
    </p>
  ));
}
