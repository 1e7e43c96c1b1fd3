import { describe, expect, it } from "vitest";

import { shouldIgnore } from "./negotiation";
import type { NegotiationState } from "./negotiation";

const calm: NegotiationState = {
  polite: false,
  makingOffer: false,
  signalingState: "stable",
  settingRemoteAnswer: false,
};

describe("perfect negotiation: shouldIgnore", () => {
  it("takes an offer when stable, on either side", () => {
    expect(shouldIgnore("offer", calm)).toBe(false);
    expect(shouldIgnore("offer", { ...calm, polite: true })).toBe(false);
  });

  it("ignores a colliding offer on the impolite side only", () => {
    const makingOffer = { ...calm, makingOffer: true };
    const offerSent = { ...calm, signalingState: "have-local-offer" as const };
    expect(shouldIgnore("offer", makingOffer)).toBe(true);
    expect(shouldIgnore("offer", offerSent)).toBe(true);
    expect(shouldIgnore("offer", { ...makingOffer, polite: true })).toBe(false);
    expect(shouldIgnore("offer", { ...offerSent, polite: true })).toBe(false);
  });

  it("is ready for an offer while its own remote answer is being applied", () => {
    const applyingAnswer = {
      ...calm,
      signalingState: "have-local-offer" as const,
      settingRemoteAnswer: true,
    };
    expect(shouldIgnore("offer", applyingAnswer)).toBe(false);
  });

  it("never ignores an answer", () => {
    expect(
      shouldIgnore("answer", { ...calm, makingOffer: true, signalingState: "have-local-offer" }),
    ).toBe(false);
  });
});
