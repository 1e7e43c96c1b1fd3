/** A short two-note chime, played with Web Audio when someone asks to join (no sound file). */

let context: AudioContext | null = null;

const NOTES_HZ = [660, 880];
const NOTE_S = 0.15;
const VOLUME = 0.15;

export function playChime(): void {
  if (typeof AudioContext === "undefined") return;
  context ??= new AudioContext();
  const audio = context;
  void audio.resume().catch(() => undefined);
  NOTES_HZ.forEach((frequency, index) => {
    const start = audio.currentTime + index * NOTE_S;
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(VOLUME, start);
    gain.gain.exponentialRampToValueAtTime(0.001, start + NOTE_S);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start(start);
    oscillator.stop(start + NOTE_S);
  });
}
