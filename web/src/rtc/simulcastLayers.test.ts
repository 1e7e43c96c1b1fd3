import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { LayerChoice } from "../realtime/protocol";
import { LAYERS_DEBOUNCE_MS, LayerChoices } from "./simulcastLayers";

describe("LayerChoices", () => {
  let sent: LayerChoice[][];
  let choices: LayerChoices;

  beforeEach(() => {
    vi.useFakeTimers();
    sent = [];
    choices = new LayerChoices(async (batch) => {
      sent.push(batch);
    });
    choices.resume();
  });

  afterEach(() => {
    choices.close();
    vi.useRealTimers();
  });

  const shown = (sizes: Record<string, number | null>) =>
    choices.setSizes(
      new Map(
        Object.entries(sizes).map(([id, width]) => [
          id,
          width === null ? null : { width, height: (width * 9) / 16 },
        ]),
      ),
    );

  it("asks for no layer above the link's cap, and for the tiles' own once it lifts", async () => {
    shown({ ann: 900, bob: 240, cat: null });
    await vi.advanceTimersByTimeAsync(LAYERS_DEBOUNCE_MS);
    expect(sent).toEqual([
      [
        { participant_id: "ann", layer: 2 },
        { participant_id: "bob", layer: 1 },
        { participant_id: "cat", layer: null },
      ],
    ]);
    choices.setCap(0);
    await vi.advanceTimersByTimeAsync(LAYERS_DEBOUNCE_MS);
    expect(sent[1]).toEqual([
      { participant_id: "ann", layer: 0 },
      { participant_id: "bob", layer: 0 },
    ]);
    choices.setCap(1);
    shown({ ann: 900, bob: 100, cat: null }); // Bob's tile shrinks meanwhile: one message
    await vi.advanceTimersByTimeAsync(LAYERS_DEBOUNCE_MS);
    expect(sent[2]).toEqual([{ participant_id: "ann", layer: 1 }]);
    choices.setCap(1); // the same cap: nothing to send
    choices.setCap(2);
    await vi.advanceTimersByTimeAsync(LAYERS_DEBOUNCE_MS);
    expect(sent[3]).toEqual([{ participant_id: "ann", layer: 2 }]);
    expect(sent).toHaveLength(4);
  });
});
