import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";

import { RecordingStatus } from "./RecordingStatus";

describe("RecordingStatus", () => {
  afterEach(cleanup);

  it("says in a status region that the meeting is recorded, and nothing when it is not", () => {
    const { rerender } = render(<RecordingStatus recording={false} />);
    expect(screen.getByRole("status").textContent).toBe("");
    rerender(<RecordingStatus recording />);
    expect(screen.getByRole("status").textContent).toBe("Recording");
    rerender(<RecordingStatus recording={false} />);
    expect(screen.getByRole("status").textContent).toBe("");
  });
});
