/**
 * Short sounds made with Web Audio (no sound files), played on the chosen speaker: the chime when
 * someone asks to join, and the speaker test before joining.
 */

interface Tone {
  hz: number;
  seconds: number;
}

const VOLUME = 0.15;
const CHIME: Tone[] = [
  { hz: 660, seconds: 0.15 },
  { hz: 880, seconds: 0.15 },
];
const TEST: Tone[] = [
  { hz: 523, seconds: 0.3 },
  { hz: 659, seconds: 0.3 },
  { hz: 784, seconds: 0.3 },
  { hz: 1047, seconds: 0.5 },
];

/** Web Audio's choice of output (Chromium since 110); absent elsewhere. */
type RoutableContext = AudioContext & { setSinkId?: (sinkId: string) => Promise<void> };

/** Play `tones` one after the other on `sinkId` ("" the default output); resolves when done. */
async function play(tones: readonly Tone[], sinkId: string): Promise<void> {
  if (typeof AudioContext === "undefined") return;
  const audio: RoutableContext = new AudioContext();
  try {
    if (sinkId !== "" && audio.setSinkId) await audio.setSinkId(sinkId);
    await audio.resume();
    let start = audio.currentTime;
    for (const { hz, seconds } of tones) {
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.frequency.value = hz;
      gain.gain.setValueAtTime(VOLUME, start);
      gain.gain.exponentialRampToValueAtTime(0.001, start + seconds);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(start);
      oscillator.stop(start + seconds);
      start += seconds;
    }
    const total = tones.reduce((sum, tone) => sum + tone.seconds, 0);
    await new Promise((resolve) => setTimeout(resolve, total * 1000));
  } finally {
    await audio.close().catch(() => undefined);
  }
}

/** Someone asks to join (hosts hear it). */
export function playChime(sinkId: string): void {
  void play(CHIME, sinkId).catch(() => undefined);
}

/** A rising arpeggio of about a second and a half, to check the speaker before joining. */
export function playTestSound(sinkId: string): Promise<void> {
  return play(TEST, sinkId);
}
