/** How loud the microphone is, live: a bar that moves when one speaks (pre-join and devices). */
import { useEffect, useState } from "react";

import { rmsLevel } from "../rtc/AudioLevels";

const SAMPLE_EVERY_MS = 100;
const WINDOW = 1024;
/** The quietest level shown, in dB below full scale; the bar spans it to 0 dB. */
const FLOOR_DB = 60;

/** 0..100 from a root mean square level, on a decibel scale as ears hear it. */
export function meterValue(rms: number): number {
  if (rms <= 0) return 0;
  const db = 20 * Math.log10(rms);
  return Math.round(Math.min(100, Math.max(0, ((db + FLOOR_DB) / FLOOR_DB) * 100)));
}

export function LevelMeter({ track }: { track: MediaStreamTrack | null }) {
  const [value, setValue] = useState(0);
  useEffect(() => {
    if (track === null || typeof AudioContext === "undefined") return;
    const context = new AudioContext();
    const source = context.createMediaStreamSource(new MediaStream([track]));
    const analyser = context.createAnalyser();
    analyser.fftSize = WINDOW;
    source.connect(analyser);
    const buffer = new Float32Array(WINDOW);
    void context.resume().catch(() => undefined);
    const timer = setInterval(() => {
      setValue(track.enabled ? meterValue(rmsLevel(analyser, buffer)) : 0);
    }, SAMPLE_EVERY_MS);
    return () => {
      clearInterval(timer);
      setValue(0);
      source.disconnect();
      void context.close().catch(() => undefined);
    };
  }, [track]);
  return (
    <div
      className="level-meter"
      role="meter"
      aria-label="Microphone level"
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={value}
    >
      <div className="level" style={{ width: `${value}%` }} />
    </div>
  );
}
