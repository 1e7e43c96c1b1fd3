import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";

import { MessageText } from "./MessageText";

describe("MessageText", () => {
  afterEach(cleanup);

  it("renders http(s) links that open in a new tab without access to the opener", () => {
    render(<MessageText text="notes at https://example.org/notes 🎉" />);
    const link = screen.getByRole("link", { name: "https://example.org/notes" });
    expect(link.getAttribute("href")).toBe("https://example.org/notes");
    expect(link.getAttribute("target")).toBe("_blank");
    expect(link.getAttribute("rel")).toBe("noopener noreferrer");
    expect(link.parentElement?.textContent).toBe("notes at https://example.org/notes 🎉");
  });

  it("renders markup and other schemes as the text they are", () => {
    const text = '<img src=x onerror="alert(1)"> javascript:alert(1) <b>bold</b>';
    const { container } = render(<MessageText text={text} />);
    expect(screen.queryByRole("link")).toBeNull();
    expect(container.querySelector("img, b, script")).toBeNull();
    expect(container.textContent).toBe(text);
  });
});
