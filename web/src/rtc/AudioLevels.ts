/** Who is speaking: the audio level of each stream, read with WebAudio analysers. */

const SAMPLE_EVERY_MS = 50;
/** RMS level (0..1) above which a participant counts as speaking. */
const SPEAKING_LEVEL = 0.02;
/** Still speaking this long after the last loud sample (no flicker between words). */
const HOLD_MS = 1000;
const WINDOW = 2048;

/** The root mean square (0..1) of what `analyser` hears now; `buffer` holds its window. */
export function rmsLevel(analyser: AnalyserNode, buffer: Float32Array<ArrayBuffer>): number {
  analyser.getFloatTimeDomainData(buffer);
  let sum = 0;
  for (const sample of buffer) sum += sample * sample;
  return Math.sqrt(sum / buffer.length);
}

interface Watched {
  stream: MediaStream;
  source: MediaStreamAudioSourceNode;
  analyser: AnalyserNode;
}

export class AudioLevels {
  private readonly context = new AudioContext();
  private readonly watched = new Map<string, Watched>();
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly buffer = new Float32Array(WINDOW);
  private readonly lastLoud = new Map<string, number>();

  constructor(onSpeaking: (ids: string[]) => void) {
    void this.context.resume().catch(() => undefined);
    let last = "";
    this.timer = setInterval(() => {
      const now = performance.now();
      for (const [id, watched] of this.watched) {
        if (this.level(watched) > SPEAKING_LEVEL) this.lastLoud.set(id, now);
      }
      const ids = [...this.watched.keys()].filter(
        (id) => now - (this.lastLoud.get(id) ?? -Infinity) < HOLD_MS,
      );
      if (ids.join() !== last) {
        last = ids.join();
        onSpeaking(ids);
      }
    }, SAMPLE_EVERY_MS);
  }

  /** Follow this participant's stream (again, if it changed); a stream without audio is skipped. */
  watch(id: string, stream: MediaStream | null): void {
    const current = this.watched.get(id);
    if (current?.stream === stream) return;
    this.unwatch(id);
    if (stream === null || stream.getAudioTracks().length === 0) return;
    const source = this.context.createMediaStreamSource(stream);
    const analyser = this.context.createAnalyser();
    analyser.fftSize = WINDOW;
    source.connect(analyser);
    this.watched.set(id, { stream, source, analyser });
  }

  unwatch(id: string): void {
    const current = this.watched.get(id);
    if (!current) return;
    current.source.disconnect();
    this.watched.delete(id);
    this.lastLoud.delete(id);
  }

  close(): void {
    clearInterval(this.timer);
    for (const id of [...this.watched.keys()]) this.unwatch(id);
    void this.context.close().catch(() => undefined);
  }

  private level({ stream, analyser }: Watched): number {
    if (!stream.getAudioTracks().some((t) => t.enabled && t.readyState === "live")) return 0;
    return rmsLevel(analyser, this.buffer);
  }
}
