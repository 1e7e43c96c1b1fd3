import { describe, expect, it } from "vitest";

import { ApiError, NetworkError } from "./client";
import { errorMessage, fieldErrors } from "./errorMessages";

describe("errorMessage", () => {
  it("has a sentence for the codes the pages meet", () => {
    expect(errorMessage(new ApiError(404, "user_not_found", "no user"))).toBe(
      "Nobody with that e-mail address has a Glimpse account.",
    );
    expect(errorMessage(new ApiError(403, "guests_not_allowed", "no guests"))).toBe(
      "The host has turned off guest access. Sign in to join.",
    );
  });

  it("says when to try again after a rate limit", () => {
    expect(errorMessage(new ApiError(429, "rate_limited", "too many", 42))).toBe(
      "Too many attempts. Try again in 42 s.",
    );
    expect(errorMessage(new ApiError(429, "rate_limited", "too many"))).toBe(
      "Too many attempts. Try again shortly.",
    );
  });

  it("makes a sentence of the server's message for other codes, and names a lost network", () => {
    expect(errorMessage(new ApiError(409, "conflict", "the name is taken"))).toBe(
      "The name is taken.",
    );
    expect(errorMessage(new NetworkError())).toBe("Glimpse can't reach the server, retrying…");
  });

  it("gives each field the server found wrong a sentence of its own", () => {
    const invalid = new ApiError(422, "validation_error", "body.password: too short", null, {
      password: "String should have at least 8 characters",
    });
    expect(fieldErrors(invalid)).toEqual({ password: "String should have at least 8 characters." });
    expect(fieldErrors(new NetworkError())).toEqual({});
  });
});
