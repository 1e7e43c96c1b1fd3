import { describe, expect, it } from "vitest";

import type { ChatMessage } from "../realtime/protocol";
import { groupBySender, splitLinks } from "./format";

function message(seq: number, sender: string): ChatMessage {
  return {
    id: `m${seq}`,
    room_id: "r",
    seq,
    sender_id: sender,
    sender_name: sender,
    client_id: `c${seq}`,
    text: `${seq}`,
    created_at: "2026-12-01T00:00:00Z",
  };
}

describe("splitLinks", () => {
  it("links http and https URLs, leaving the sentence's punctuation outside", () => {
    expect(splitLinks("see https://example.org/a?b=1#c. And http://x.test, ok")).toEqual([
      { text: "see " },
      { text: "https://example.org/a?b=1#c", href: "https://example.org/a?b=1#c" },
      { text: ". And " },
      { text: "http://x.test", href: "http://x.test/" },
      { text: ", ok" },
    ]);
  });

  it.each([
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox",
    "ftp://example.org/file",
    "<a href=javascript:alert(1)>x</a>",
  ])("links nothing in %s", (text) => {
    expect(splitLinks(text)).toEqual([{ text }]);
  });

  it("keeps emoji and other text whole", () => {
    const text = "👋🏽 salut 👨‍👩‍👧 — ça va? 🎉";
    expect(splitLinks(text)).toEqual([{ text }]);
    expect(splitLinks(`🎉https://example.org 🎉`)).toEqual([
      { text: "🎉" },
      { text: "https://example.org", href: "https://example.org/" },
      { text: " 🎉" },
    ]);
  });
});

describe("groupBySender", () => {
  it("puts consecutive messages of one sender together, and a new group at each change", () => {
    const groups = groupBySender([
      message(1, "ann"),
      message(2, "ann"),
      message(3, "bob"),
      message(4, "ann"),
      message(5, "ann"),
      message(6, "ann"),
    ]);
    expect(groups.map((g) => [g.senderId, g.messages.map((m) => m.seq)])).toEqual([
      ["ann", [1, 2]],
      ["bob", [3]],
      ["ann", [4, 5, 6]],
    ]);
    expect(groupBySender([])).toEqual([]);
  });
});
